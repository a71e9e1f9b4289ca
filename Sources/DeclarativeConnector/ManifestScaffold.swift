/// The manifest `max connector new <name> --manifest` writes: a working start for a REST API with a
/// token, every part commented with what to change.
public enum ManifestScaffold {
    /// The manifest text for connector `name`.
    public static func text(name: String) -> String {
        let type = CompiledManifest.typeName(name)
        return """
            # The \(name) connector: a manifest Max runs with no code.
            # Reference: docs/declarative-connectors.md; check it with: max connector validate <this file>
            name: \(name)
            displayName: \(type)
            description: Sync records from \(type)
            version: 0.1.0
            # What onboarding asks for (max connect \(name) --config baseURL=…): plain values, never secrets.
            config:
              - key: baseURL
                label: API URL
                type: url
                placeholder: https://api.example.com
            # Secrets go to the credential store (max connect … --credential token=env:VAR).
            credentials:
              - key: token
                label: API token
            auth:
              type: bearer          # or header (name, prefix), query (name), basic (username, password), oauth2
              credential: token
            base: "{{config.baseURL}}"
            # Sent by max connect to check the URL and the token.
            validation:
              path: /records
            streams:
              - name: records
                entity: \(type)Record
                request:
                  path: /records    # the list endpoint
                  query: {limit: "{{page.size}}"}
                records: ""         # where the records are in the answer: "" for a top-level array, or a path such as data.items
                # keyset: sends the last record's id as ?after=…; also link, nextURL, cursor, offset, page
                pagination: {type: keyset, param: after}
                pageSize: 100
                id: id
                fields:
                  name: {type: string}
                  createdAt: {type: date}
                  updatedAt: {type: date}

            """
    }
}
