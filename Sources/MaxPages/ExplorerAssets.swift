/// The explorer's style sheet, built into the binary and served at `/ui/assets/explorer.css`.
public enum ExplorerAssets {
    /// The style sheet.
    public static let css = """
        :root { color-scheme: light dark; --line: #8884; --muted: #888; --accent: #2f6fde; --bad: #c0392b; }
        * { box-sizing: border-box; }
        body { font: 15px/1.45 system-ui, sans-serif; margin: 0; }
        header { display: flex; justify-content: space-between; align-items: center; gap: 1rem;
          padding: .6rem 1.2rem; border-bottom: 1px solid var(--line); }
        header nav a:first-child { font-weight: 600; }
        main { padding: 1rem 1.2rem 3rem; max-width: 110rem; }
        h1 { font-size: 1.35rem; margin: .2rem 0 1rem; }
        h2 { font-size: 1.1rem; margin: 1.4rem 0 .4rem; }
        a { color: var(--accent); }
        table { border-collapse: collapse; }
        th, td { text-align: left; padding: .3rem .7rem .3rem 0; border-bottom: 1px solid var(--line);
          vertical-align: top; }
        td.number, .count { font-variant-numeric: tabular-nums; }
        .count, .status, .total, .scope, .hint { color: var(--muted); }
        .scroll { overflow-x: auto; }
        table.records td { max-width: 28rem; overflow-wrap: anywhere; }
        form.query { display: grid; grid-template-columns: max-content 1fr; gap: .4rem .8rem; align-items: center;
          max-width: 60rem; margin-bottom: 1rem; }
        form.query button { justify-self: start; grid-column: 2; }
        input { font: 14px/1.5 ui-monospace, monospace; padding: .35rem .45rem; width: 100%; }
        form.signin { display: flex; gap: .6rem; align-items: center; max-width: 36rem; }
        .error { border-left: 4px solid var(--bad); padding: .2rem .8rem; margin: 1rem 0; }
        pre.caret { font: 14px ui-monospace, monospace; margin: .3rem 0; }
        nav.pages { margin-top: 1rem; display: flex; gap: 1.2rem; }
        ul.referred { padding-left: 1.2rem; }
        figure.chart { margin: 0 0 1.2rem; }
        figure.chart rect.ok { fill: var(--accent); opacity: .75; }
        figure.chart rect.bad { fill: var(--bad); }
        figure.chart circle { fill: currentColor; }
        figcaption, .required { color: var(--muted); font-size: .9em; }
        form.operation { max-width: 40rem; display: grid; gap: .8rem; }
        form.operation .input { display: grid; gap: .2rem; }
        form.operation input[type=checkbox] { width: auto; justify-self: start; }
        textarea, select { font: 14px ui-monospace, monospace; padding: .35rem .45rem; width: 100%; }
        pre.result { overflow-x: auto; padding: .6rem; border: 1px solid var(--line); }
        p.actions a { margin-right: 1rem; }
        """
}
