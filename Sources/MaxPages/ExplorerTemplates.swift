/// The explorer's Mustache templates, built into the binary.
///
/// A layout every page extends, and one template per page. `{{…}}` escapes HTML; nothing is written unescaped (`{{{…}}}` is never used).
/// No inline script or style: the Content-Security-Policy allows none.
enum ExplorerTemplates {
    static let all: [String: String] = [
        "layout": layout, "signIn": signIn, "installations": installations, "installation": installation,
        "table": table, "record": record, "failure": failure, "runs": runs, "listing": listing,
        "operations": operations, "operationForm": operationForm, "inputError": inputError,
    ]

    /// A refused filter (or field list, or ordering), shown where it was typed.
    ///
    /// Its code, message, the expression with a caret under the column at fault, and the hint;
    /// rendered inside `{{#error}}`.
    static let inputError = """
        <div class="error" role="alert">
        <p><strong>{{code}}</strong>: {{message}}</p>
        {{#expression}}<pre class="caret">{{.}}
        {{caret}}</pre>{{/expression}}
        {{#hint}}<p class="hint">{{.}}</p>{{/hint}}
        </div>
        """

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
        <nav aria-label="Breadcrumb"><a href="/">Max</a>{{#frame.csrf}} <a href="/ui/jobs">Jobs</a> <a href="/ui/audit">Audit</a> <span aria-hidden="true">·</span>{{/frame.csrf}}{{#frame.crumbs}} <span aria-hidden="true">/</span> {{#href}}<a href="{{.}}">{{text}}</a>{{/href}}{{^href}}<span>{{text}}</span>{{/href}}{{/frame.crumbs}}</nav>
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
        <p class="actions">{{#actions}}<a href="{{href}}">{{text}}</a> {{/actions}}</p>
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
        {{#error}}{{> inputError}}{{/error}}
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

    static let runs = """
        {{<layout}}{{$main}}
        {{#chart}}
        <figure class="chart">
        <svg xmlns="http://www.w3.org/2000/svg" width="{{width}}" height="{{height}}" viewBox="0 0 {{width}} {{height}}" role="img" aria-label="Entities written (bars) and duration (dots) per run, oldest first">
        {{#bars}}<g><title>{{label}}</title><rect class="{{tone}}" x="{{x}}" y="{{y}}" width="{{width}}" height="{{height}}"/><circle cx="{{dotX}}" cy="{{dotY}}" r="3"/></g>
        {{/bars}}
        </svg>
        <figcaption>Bars: entities written (up to {{maxEntities}}). Dots: duration (up to {{maxDuration}}). Oldest first; a failed run's bar is red.</figcaption>
        </figure>
        {{/chart}}
        {{^rows}}<p>No run yet: <code>max sync</code> it.</p>{{/rows}}
        <div class="scroll"><table class="records">
        <thead><tr><th>Run</th><th>Kind</th><th>Status</th><th>Started</th><th>Duration</th><th>Entities</th><th>Requests · retries · 429s</th><th>Error</th></tr></thead>
        <tbody>
        {{#rows}}<tr><td>{{id}}</td><td>{{kind}}</td><td>{{status}}</td><td>{{started}}</td><td class="number">{{duration}}</td><td class="number">{{entities}}</td><td class="number">{{requests}}</td><td>{{error}}</td></tr>
        {{/rows}}
        </tbody></table></div>
        {{/main}}{{/layout}}
        """

    static let listing = """
        {{<layout}}{{$main}}
        {{#action}}<form method="get" action="{{.}}" class="query">
        <label for="filter">Filter</label>
        <input id="filter" name="filter" value="{{filter}}" placeholder='outcome != "succeeded"' spellcheck="false">
        <button type="submit">Search</button>
        </form>{{/action}}
        {{#error}}{{> inputError}}{{/error}}
        {{^error}}
        {{^rows}}<p>{{empty}}</p>{{/rows}}
        <div class="scroll"><table class="records">
        <thead><tr>{{#columns}}<th scope="col">{{.}}</th>{{/columns}}</tr></thead>
        <tbody>
        {{#rows}}<tr>{{#cells}}<td>{{#href}}<a href="{{.}}">{{text}}</a>{{/href}}{{^href}}{{text}}{{/href}}</td>{{/cells}}</tr>
        {{/rows}}
        </tbody></table></div>
        {{/error}}
        {{/main}}{{/layout}}
        """

    static let operations = """
        {{<layout}}{{$main}}
        {{#readOnly}}<p class="hint">{{.}}</p>{{/readOnly}}
        <table class="records"><thead><tr><th>Operation</th><th>Mode</th><th>What it does</th></tr></thead><tbody>
        {{#rows}}<tr><td>{{#name.href}}<a href="{{.}}">{{name.text}}</a>{{/name.href}}{{^name.href}}{{name.text}}{{/name.href}}</td><td>{{mode}}</td><td>{{summary}}</td></tr>
        {{/rows}}
        </tbody></table>
        {{/main}}{{/layout}}
        """

    static let operationForm = """
        {{<layout}}{{$main}}
        <p>{{summary}}</p>
        {{#error}}
        <div class="error" role="alert"><p><strong>{{code}}</strong>: {{message}}</p>{{#hint}}<p class="hint">{{.}}</p>{{/hint}}</div>
        {{/error}}
        {{#result}}<h2>Result</h2><pre class="result">{{.}}</pre>{{/result}}
        {{#job}}<p class="result">Queued as <a href="{{href}}">{{text}}</a>.</p>{{/job}}
        <form method="post" action="{{action}}" class="operation">
        <input type="hidden" name="csrf" value="{{frame.csrf}}">
        {{#inputs}}
        <div class="input">
        <label for="in-{{name}}">{{name}}{{#required}} <span class="required">(required)</span>{{/required}}</label>
        {{#isText}}<input id="in-{{name}}" name="in.{{name}}" type="{{kind}}" value="{{value}}" step="any"{{#required}} required{{/required}}>{{/isText}}
        {{#isCheckbox}}<input id="in-{{name}}" name="in.{{name}}" type="checkbox" value="true"{{#checked}} checked{{/checked}}>{{/isCheckbox}}
        {{#isSelect}}<select id="in-{{name}}" name="in.{{name}}">{{^required}}<option value=""></option>{{/required}}{{#choices}}<option{{#selected}} selected{{/selected}}>{{value}}</option>{{/choices}}</select>{{/isSelect}}
        {{#isJSON}}<textarea id="in-{{name}}" name="in.{{name}}" rows="3" spellcheck="false" placeholder="JSON">{{value}}</textarea>{{/isJSON}}
        {{#help}}<p class="hint">{{.}}</p>{{/help}}
        </div>
        {{/inputs}}
        <div class="input"><label for="idempotency-key">Idempotency key</label><input id="idempotency-key" name="idempotencyKey" value="{{idempotencyKey}}" placeholder="makes a retry safe"></div>
        <button type="submit">Run</button>
        </form>
        {{/main}}{{/layout}}
        """
}
