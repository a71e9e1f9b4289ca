extension BundledManifests {
    /// `linear`: teams, users, projects, cycles, issues and comments through Linear's GraphQL API.
    static let linear = #"""
        # Linear's GraphQL API (https://linear.app/developers). A full sync asks for what changed
        # since 1970 rather than sending a null comparator. Connections are Relay-paginated
        # (first/after, pageInfo); issues and comments are read incrementally by updatedAt, archived
        # issues (includeArchived) become deletions; the request and complexity windows of the
        # X-RateLimit-* headers are obeyed, and a RATELIMITED error (sent with HTTP 200) is waited out.
        name: linear
        displayName: Linear
        description: Sync teams, users, projects, cycles, issues and comments from Linear
        version: 1.0.0
        config:
          - key: apiURL
            label: API URL
            type: url
            default: https://api.linear.app/graphql
        credentials:
          - key: api_key
            label: Personal API key
            description: Create one in Linear under Settings → Security & access → Personal API keys (it starts with lin_api_).
        auth:
          # Linear takes a personal key as the whole Authorization header, without "Bearer".
          type: header
          name: Authorization
          credential: api_key
        base: "{{config.apiURL}}"
        validation:
          graphql:
            query: "query Viewer { viewer { id name } }"
        health:
          graphql:
            query: "query Viewer { viewer { id name } }"
        graphql:
          codePath: extensions.code
          rateLimitedCodes: [RATELIMITED]
          unauthorizedCodes: [AUTHENTICATION_ERROR, FORBIDDEN]
        rateLimit:
          rate: 20
          burst: 10
          # One request at a time: the next one waits for the last one's headers.
          concurrency: 1
          windows:
            - remaining: X-RateLimit-Requests-Remaining
              reset: X-RateLimit-Requests-Reset
              unit: epochMilliseconds
            - remaining: X-RateLimit-Complexity-Remaining
              reset: X-RateLimit-Complexity-Reset
              unit: epochMilliseconds
        root:
          entity: LinearRoot
          id: workspace
        streams:
          - name: teams
            entity: LinearTeam
            summary: A team.
            request:
              graphql:
                query: |
                  query Teams($first: Int!, $after: String) {
                    teams(first: $first, after: $after) {
                      nodes { id name key description createdAt updatedAt }
                      pageInfo { hasNextPage endCursor }
                    }
                  }
                variables: {first: "{{page.size}}"}
            records: data.teams.nodes
            pagination: {type: cursor, path: data.teams.pageInfo.endCursor, hasMorePath: data.teams.pageInfo.hasNextPage, param: after, variable: true}
            fields:
              name: {type: string}
              key: {type: string, indexed: true}
              description: {type: string}
              createdAt: {type: date}
              updatedAt: {type: date}
          - name: users
            entity: LinearUser
            summary: A member of the workspace.
            request:
              graphql:
                query: |
                  query Users($first: Int!, $after: String) {
                    users(first: $first, after: $after) {
                      nodes { id name displayName email active admin createdAt updatedAt }
                      pageInfo { hasNextPage endCursor }
                    }
                  }
                variables: {first: "{{page.size}}"}
            records: data.users.nodes
            pagination: {type: cursor, path: data.users.pageInfo.endCursor, hasMorePath: data.users.pageInfo.hasNextPage, param: after, variable: true}
            fields:
              name: {type: string}
              displayName: {type: string}
              email: {type: string, indexed: true}
              active: {type: bool}
              admin: {type: bool}
              createdAt: {type: date}
              updatedAt: {type: date}
          - name: projects
            entity: LinearProject
            summary: A project.
            request:
              graphql:
                query: |
                  query Projects($first: Int!, $after: String) {
                    projects(first: $first, after: $after) {
                      nodes { id name description state startDate targetDate lead { id } createdAt updatedAt }
                      pageInfo { hasNextPage endCursor }
                    }
                  }
                variables: {first: "{{page.size}}"}
            records: data.projects.nodes
            pagination: {type: cursor, path: data.projects.pageInfo.endCursor, hasMorePath: data.projects.pageInfo.hasNextPage, param: after, variable: true}
            fields:
              name: {type: string}
              description: {type: string}
              state: {type: string, indexed: true}
              startDate: {type: string}
              targetDate: {type: string}
              lead: {type: ref, to: LinearUser, path: lead.id}
              createdAt: {type: date}
              updatedAt: {type: date}
          - name: cycles
            entity: LinearCycle
            summary: A cycle of a team.
            request:
              graphql:
                query: |
                  query Cycles($first: Int!, $after: String) {
                    cycles(first: $first, after: $after) {
                      nodes { id number name startsAt endsAt team { id } createdAt updatedAt }
                      pageInfo { hasNextPage endCursor }
                    }
                  }
                variables: {first: "{{page.size}}"}
            records: data.cycles.nodes
            pagination: {type: cursor, path: data.cycles.pageInfo.endCursor, hasMorePath: data.cycles.pageInfo.hasNextPage, param: after, variable: true}
            fields:
              number: {type: int}
              name: {type: string}
              startsAt: {type: date}
              endsAt: {type: date}
              team: {type: ref, to: LinearTeam, path: team.id}
              createdAt: {type: date}
              updatedAt: {type: date}
          - name: issues
            entity: LinearIssue
            summary: An issue.
            request:
              graphql:
                query: |
                  query Issues($first: Int!, $after: String, $since: DateTimeOrDuration) {
                    issues(first: $first, after: $after, includeArchived: true, orderBy: updatedAt, filter: {updatedAt: {gt: $since}}) {
                      nodes {
                        id identifier title description priority estimate createdAt updatedAt completedAt canceledAt archivedAt
                        state { name type } team { id } assignee { id } creator { id } project { id } cycle { id } parent { id }
                        labels { nodes { id name } }
                      }
                      pageInfo { hasNextPage endCursor }
                    }
                  }
                variables: {first: "{{page.size}}", since: "{{since | default:1970-01-01T00:00:00.000Z}}"}
            records: data.issues.nodes
            pagination: {type: cursor, path: data.issues.pageInfo.endCursor, hasMorePath: data.issues.pageInfo.hasNextPage, param: after, variable: true}
            pageSize: 100
            incremental: {cursorField: updatedAt, lookback: 30}
            deletions: tombstone
            deletedField: archivedAt
            indexes: [[stateType, updatedAt]]
            fields:
              identifier: {type: string, indexed: true}
              title: {type: string}
              description: {type: string}
              priority: {type: int, summary: "0 none, 1 urgent, 2 high, 3 medium, 4 low"}
              estimate: {type: double}
              state: {type: string, path: state.name}
              stateType: {type: string, path: state.type, summary: "backlog, unstarted, started, completed or canceled"}
              labels: {type: json, path: labels.nodes, item: name, summary: the label names}
              assignee: {type: ref, to: LinearUser, path: assignee.id}
              creator: {type: ref, to: LinearUser, path: creator.id}
              team: {type: ref, to: LinearTeam, path: team.id}
              project: {type: ref, to: LinearProject, path: project.id}
              cycle: {type: ref, to: LinearCycle, path: cycle.id}
              parent: {type: ref, to: LinearIssue, path: parent.id}
              createdAt: {type: date}
              updatedAt: {type: date, indexed: true}
              completedAt: {type: date}
              canceledAt: {type: date}
          - name: comments
            entity: LinearComment
            summary: A comment on an issue.
            request:
              graphql:
                query: |
                  query Comments($first: Int!, $after: String, $since: DateTimeOrDuration) {
                    comments(first: $first, after: $after, orderBy: updatedAt, filter: {updatedAt: {gt: $since}}) {
                      nodes { id body issue { id } user { id } createdAt updatedAt }
                      pageInfo { hasNextPage endCursor }
                    }
                  }
                variables: {first: "{{page.size}}", since: "{{since | default:1970-01-01T00:00:00.000Z}}"}
            records: data.comments.nodes
            pagination: {type: cursor, path: data.comments.pageInfo.endCursor, hasMorePath: data.comments.pageInfo.hasNextPage, param: after, variable: true}
            pageSize: 100
            incremental: {cursorField: updatedAt, lookback: 30}
            fields:
              body: {type: string}
              issue: {type: ref, to: LinearIssue, path: issue.id}
              user: {type: ref, to: LinearUser, path: user.id}
              createdAt: {type: date}
              updatedAt: {type: date}
        operations:
          - id: createIssue
            displayName: Create an issue
            description: Creates an issue in a team; it is in the local store at once.
            mutating: true
            input:
              type: object
              required: [teamId, title]
              additionalProperties: false
              properties:
                teamId: {type: string, minLength: 1}
                title: {type: string, minLength: 1, maxLength: 512}
                description: {type: string}
                priority: {type: integer, minimum: 0, maximum: 4}
                assigneeId: {type: string}
            request:
              graphql:
                query: |
                  mutation IssueCreate($input: IssueCreateInput!) {
                    issueCreate(input: $input) {
                      success
                      issue {
                        id identifier title description priority estimate createdAt updatedAt completedAt canceledAt archivedAt
                        state { name type } team { id } assignee { id } creator { id } project { id } cycle { id } parent { id }
                        labels { nodes { id name } }
                      }
                    }
                  }
                variables: {input: "{{input}}"}
            result: data.issueCreate.issue
            writeThrough: issues
          - id: updateIssue
            displayName: Update an issue
            description: Changes an issue's title, description, priority or estimate; the local store shows it at once.
            mutating: true
            input:
              type: object
              required: [id]
              additionalProperties: false
              properties:
                id: {type: string, minLength: 1}
                title: {type: string, minLength: 1, maxLength: 512}
                description: {type: string}
                priority: {type: integer, minimum: 0, maximum: 4}
                estimate: {type: number}
            request:
              graphql:
                query: |
                  mutation IssueUpdate($id: String!, $input: IssueUpdateInput!) {
                    issueUpdate(id: $id, input: $input) {
                      success
                      issue {
                        id identifier title description priority estimate createdAt updatedAt completedAt canceledAt archivedAt
                        state { name type } team { id } assignee { id } creator { id } project { id } cycle { id } parent { id }
                        labels { nodes { id name } }
                      }
                    }
                  }
                variables: {id: "{{input.id}}", input: {title: "{{input.title}}", description: "{{input.description}}", priority: "{{input.priority}}", estimate: "{{input.estimate}}"}}
            result: data.issueUpdate.issue
            writeThrough: issues
        """#
}
