/// The explorer's Mustache templates, built into the binary.
///
/// A layout every page extends, and one template per page. `{{…}}` escapes HTML; nothing is written unescaped (`{{{…}}}` is never used).
/// No inline script or style: the Content-Security-Policy allows none.
enum ExplorerTemplates {
    static let all: [String: String] = [
        "layout": layout, "signIn": signIn, "installations": installations, "installation": installation,
        "table": table, "record": record, "failure": failure,
    ]

    static let layout = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{frame.title}} · Max</title>
        <link rel="stylesheet" href="/ui/assets/explorer.css">
        </head>
        <body>
        <header>
        <nav aria-label="Breadcrumb"><a href="/">Max</a>{{#frame.crumbs}} <span aria-hidden="true">/</span> {{#href}}<a href="{{.}}">{{text}}</a>{{/href}}{{^href}}<span>{{text}}</span>{{/href}}{{/frame.crumbs}}</nav>
        {{#frame.csrf}}<form method="post" action="/session/end" class="signout"><input type="hidden" name="csrf" value="{{.}}"><span class="scope">{{frame.scope}} session</span> <button type="submit">Sign out</button></form>{{/frame.csrf}}
        </header>
        <main>
        <h1>{{frame.title}}</h1>
        {{$main}}{{/main}}
        </main>
        </body>
        </html>
        """

    static let signIn = """
        {{<layout}}{{$main}}
        <p>Sign in with a token of this project (<code>max serve tokens create --scope read</code>).</p>
        {{#error}}<p class="error" role="alert">{{.}}</p>{{/error}}
        <form method="post" action="/session" class="signin">
        <label for="token">Token</label>
        <input id="token" name="token" type="password" autocomplete="off" required>
        <button type="submit">Sign in</button>
        </form>
        {{/main}}{{/layout}}
        """

    static let installations = """
        {{<layout}}{{$main}}
        {{^rows}}<p>No installation yet: <code>max connect</code> one.</p>{{/rows}}
        <table>
        <thead><tr><th>Installation</th><th>Connector</th><th>Status</th><th>Entities</th><th>Last sync</th><th>Next run</th></tr></thead>
        <tbody>
        {{#rows}}<tr><td><a href="{{name.href}}">{{name.text}}</a></td><td>{{connector}}</td><td>{{status}}</td><td class="number">{{entities}}</td><td>{{lastSync}}</td><td>{{nextRun}}</td></tr>
        {{/rows}}
        </tbody>
        </table>
        {{/main}}{{/layout}}
        """

    static let installation = """
        {{<layout}}{{$main}}
        <p class="status">{{status}}</p>
        {{#types}}
        <section class="type">
        <h2><a href="{{name.href}}">{{name.text}}</a> <span class="count">{{count}}</span></h2>
        {{#summary}}<p>{{.}}</p>{{/summary}}
        <table class="fields"><tbody>
        {{#fields}}<tr><td>{{name}}</td><td>{{#type.href}}<a href="{{.}}">{{type.text}}</a>{{/type.href}}{{^type.href}}{{type.text}}{{/type.href}}</td></tr>
        {{/fields}}
        </tbody></table>
        </section>
        {{/types}}
        {{/main}}{{/layout}}
        """

    static let table = """
        {{<layout}}{{$main}}
        <form method="get" action="{{action}}" class="query">
        <label for="filter">Filter</label>
        <input id="filter" name="filter" value="{{filter}}" placeholder='status = "todo" AND assignee.role = "admin"' spellcheck="false">
        <label for="fields">Fields</label>
        <input id="fields" name="fields" value="{{fields}}" placeholder="title,status,assignee.displayName" list="field-names" spellcheck="false">
        <datalist id="field-names">{{#fieldNames}}<option value="{{.}}">{{/fieldNames}}</datalist>
        <label for="order">Order</label>
        <input id="order" name="order" value="{{order}}" placeholder="updatedAt:desc" spellcheck="false">
        <button type="submit">Search</button>
        </form>
        {{#error}}
        <div class="error" role="alert">
        <p><strong>{{code}}</strong>: {{message}}</p>
        {{#expression}}<pre class="caret">{{.}}
        {{caret}}</pre>{{/expression}}
        {{#hint}}<p class="hint">{{.}}</p>{{/hint}}
        </div>
        {{/error}}
        {{^error}}
        {{#total}}<p class="total">{{.}}</p>{{/total}}
        <div class="scroll">
        <table class="records">
        <thead><tr>{{#columns}}<th scope="col">{{.}}</th>{{/columns}}</tr></thead>
        <tbody>
        {{#rows}}<tr>{{#cells}}<td>{{#href}}<a href="{{.}}">{{text}}</a>{{/href}}{{^href}}{{text}}{{/href}}</td>{{/cells}}</tr>
        {{/rows}}
        </tbody>
        </table>
        </div>
        <nav class="pages" aria-label="Pages">{{#first}}<a href="{{.}}" rel="first">First page</a>{{/first}} {{#next}}<a href="{{.}}" rel="next">Next page</a>{{/next}}</nav>
        {{/error}}
        {{/main}}{{/layout}}
        """

    static let record = """
        {{<layout}}{{$main}}
        <table class="record"><tbody>
        {{#fields}}<tr><th scope="row">{{name}}</th><td>{{#values}}{{#href}}<a href="{{.}}">{{text}}</a>{{/href}}{{^href}}<span>{{text}}</span>{{/href}} {{/values}}</td></tr>
        {{/fields}}
        </tbody></table>
        <h2>Referred to by</h2>
        {{^referredBy}}<p>Nothing stored refers to it.</p>{{/referredBy}}
        <ul class="referred">{{#referredBy}}<li><a href="{{href}}">{{text}}</a></li>{{/referredBy}}</ul>
        {{/main}}{{/layout}}
        """

    static let failure = """
        {{<layout}}{{$main}}
        <div class="error" role="alert"><p><strong>{{code}}</strong>: {{message}}</p>{{#hint}}<p class="hint">{{.}}</p>{{/hint}}</div>
        {{/main}}{{/layout}}
        """
}
