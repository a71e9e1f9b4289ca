extension BundledManifests {
    /// `acme-declarative`: the Acme connector as a manifest, whose store equals the Swift one's.
    static let acme = #"""
        # Acme as a manifest: the same entities, refs and collections as the Swift acme connector,
        # read from the same endpoints, with incremental syncs from Acme's change log.
        name: acme-declarative
        displayName: Acme (declarative)
        description: Sync workspaces, users, projects, tasks and files from Acme, from a manifest
        version: 1.0.0
        namespace: acme
        config:
          - key: baseURL
            label: Tenant URL
            description: The address of your Acme tenant.
            type: url
            placeholder: https://acme.example.com
        credentials:
          - key: api_token
            label: API token
            description: Create a token in Acme under Settings → API tokens (it starts with acme_).
            when: {key: auth, equals: token, orAbsent: true}
        auth:
          type: bearer
          credential: api_token
          when: {key: auth, equals: token, orAbsent: true}
          alternatives:
            # OAuth 2.0 with PKCE (--config auth=oauth): Acme's public client "max".
            - type: oauth2
              credential: refresh_token
              when: {key: auth, equals: oauth}
              oauth2:
                authorizationURL: "{{config.baseURL}}/oauth/authorize"
                tokenURL: "{{config.baseURL}}/oauth/token"
                clientID: max
                scopes: [read]
        base: "{{config.baseURL}}"
        validation:
          path: /api/workspaces
        select:
          - key: auth
            label: How Max signs in
            default: token
            choices:
              - {value: token, label: API token}
              - {value: oauth, label: OAuth (authorize in the browser)}
          - key: workspaceId
            label: Workspace
            request:
              path: /api/workspaces
            value: id
            display: name
        health:
          path: "/api/workspaces/{{config.workspaceId}}"
        rateLimit:
          # Acme documents no rate limit: a ceiling well above what a sync sends.
          rate: 1000
          burst: 100
        root:
          entity: AcmeRoot
          id: "{{config.workspaceId}}"
        streams:
          - name: workspaces
            entity: AcmeWorkspace
            summary: "An Acme workspace: the people and projects of one organisation."
            request:
              path: "/api/workspaces/{{config.workspaceId}}"
            get:
              path: "/api/workspaces/{{id}}"
            only:
              - path: id
                config: workspaceId
            fields:
              name: {type: string}
              createdAt: {type: date}
              updatedAt: {type: date}
          - name: users
            parent: workspaces
            entity: AcmeUser
            summary: A person in a workspace.
            request:
              path: /api/users
              query: {workspaceId: "{{parent.id}}", limit: "{{page.size}}"}
            pagination: {type: keyset, param: after}
            pageSize: 500
            get:
              path: "/api/users/{{id}}"
            parentField: workspace
            fields:
              email: {type: string, indexed: true}
              displayName: {type: string}
              role: {type: string, indexed: true, summary: "admin, member or viewer"}
              active: {type: bool}
              workspace: {type: ref, to: AcmeWorkspace, path: workspaceId}
              createdAt: {type: date}
              updatedAt: {type: date}
          - name: projects
            parent: workspaces
            entity: AcmeProject
            summary: A project of a workspace, holding tasks and files.
            request:
              path: /api/projects
              query: {workspaceId: "{{parent.id}}", limit: "{{page.size}}"}
            pagination: {type: keyset, param: after}
            pageSize: 500
            get:
              path: "/api/projects/{{id}}"
            parentField: workspace
            fields:
              name: {type: string}
              description: {type: string}
              status: {type: string, indexed: true, summary: "active, paused, completed or archived"}
              owner: {type: ref, to: AcmeUser, path: ownerId}
              workspace: {type: ref, to: AcmeWorkspace, path: workspaceId}
              createdAt: {type: date}
              updatedAt: {type: date}
          - name: tasks
            parent: projects
            entity: AcmeTask
            summary: A unit of work in a project.
            request:
              path: /api/tasks
              query: {projectId: "{{parent.id}}", limit: "{{page.size}}"}
            pagination: {type: keyset, param: after}
            pageSize: 500
            get:
              path: "/api/tasks/{{id}}"
            parentField: project
            indexes: [[status, updatedAt]]
            fields:
              title: {type: string}
              description: {type: string}
              status: {type: string, summary: "todo, in_progress, in_review, done or cancelled"}
              priority: {type: string, indexed: true, summary: "critical, high, medium, low or none"}
              assignee: {type: ref, to: AcmeUser, path: assigneeId}
              project: {type: ref, to: AcmeProject, path: projectId}
              createdBy: {type: ref, to: AcmeUser, path: createdById}
              lastModifiedBy: {type: ref, to: AcmeUser, path: lastModifiedById}
              tags: {type: json, summary: an array of strings}
              dueDate: {type: date}
              completedAt: {type: date}
              createdAt: {type: date}
              updatedAt: {type: date, indexed: true}
          - name: files
            parent: projects
            entity: AcmeFile
            summary: A file attached to a project.
            request:
              path: /api/files
              query: {projectId: "{{parent.id}}", limit: "{{page.size}}"}
            pagination: {type: keyset, param: after}
            pageSize: 500
            get:
              path: "/api/files/{{id}}"
            parentField: project
            fields:
              name: {type: string}
              mimeType: {type: string, indexed: true}
              sizeBytes: {type: int}
              project: {type: ref, to: AcmeProject, path: projectId}
              createdBy: {type: ref, to: AcmeUser, path: createdById}
              lastModifiedBy: {type: ref, to: AcmeUser, path: lastModifiedById}
              createdAt: {type: date}
              updatedAt: {type: date}
        changeLog:
          head:
            path: /api/stats
          headPath: changelogSize
          request:
            path: /api/changes
            query: {since: "{{position}}", limit: "1000"}
          records: events
          nextPath: nextCursor
          positionPath: sequence
          typePath: entityType
          types: {workspace: workspaces, user: users, project: projects, task: tasks, file: files}
          idPath: entityId
          actionPath: action
          deleteActions: [delete]
        operations:
          - id: createTask
            displayName: Create a task
            description: Creates a task in a project; it is in the local store at once.
            mutating: true
            input:
              type: object
              required: [projectId, title, createdById]
              additionalProperties: false
              properties:
                projectId: {type: string, pattern: "^prj_[0-9a-f]{32}$"}
                createdById: {type: string, pattern: "^usr_[0-9a-f]{32}$"}
                title: {type: string, minLength: 1, maxLength: 500}
                description: {type: [string, "null"], maxLength: 20000}
                status: {enum: [todo, in_progress, in_review, done, cancelled]}
                priority: {enum: [critical, high, medium, low, none]}
            request:
              method: POST
              path: /api/tasks
              body: "{{input}}"
            writeThrough: tasks
        """#
}
