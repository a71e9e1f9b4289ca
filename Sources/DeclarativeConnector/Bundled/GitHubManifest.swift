extension BundledManifests {
    /// `github`: the repositories of one owner, with their issues, pull requests, labels, milestones
    /// and comments, through GitHub's REST API.
    static let github = #"""
        # GitHub's REST API (https://docs.github.com/rest), for one user or organisation.
        # Requests go one at a time, as GitHub asks of integrations, and stop when the primary limit's
        # x-ratelimit-remaining reaches 0 until its x-ratelimit-reset; a secondary limit (403 or 429
        # with retry-after) is waited out and the request sent again.
        name: github
        displayName: GitHub
        description: Sync repositories, issues, pull requests, labels, milestones and comments from GitHub
        version: 1.0.0
        config:
          - key: apiURL
            label: API URL
            description: https://api.github.com, or your GitHub Enterprise Server's /api/v3 address.
            type: url
            default: https://api.github.com
          - key: owner
            label: Owner
            description: The user or organisation whose repositories to sync.
          - key: repos
            label: Repositories
            description: Names of the owner's repositories to sync, separated by commas; all of them when empty.
            type: list
            required: false
        select:
          # GitHub lists an organisation's repositories the token can see under /orgs, and a user's
          # public ones under /users.
          - key: ownerKind
            label: The owner is
            default: users
            choices:
              - {value: users, label: a user (their public repositories)}
              - {value: orgs, label: an organisation (the repositories the token can see there)}
        credentials:
          - key: token
            label: Personal access token
            description: Create one under Settings → Developer settings → Personal access tokens, with read access to the repositories (and issues write access for the operations).
        auth:
          type: bearer
          credential: token
        base: "{{config.apiURL}}"
        headers:
          Accept: application/vnd.github+json
          X-GitHub-Api-Version: "2022-11-28"
        validation:
          path: "/users/{{config.owner}}"
        health:
          path: "/users/{{config.owner}}"
        rateLimit:
          rate: 10
          burst: 10
          concurrency: 1
          windows:
            - remaining: x-ratelimit-remaining
              reset: x-ratelimit-reset
              unit: epochSeconds
          limitedStatuses: [403, 429]
        root:
          entity: GitHubRoot
          id: "{{config.owner}}"
        streams:
          - name: repositories
            entity: GitHubRepository
            summary: A repository of the owner.
            request:
              path: "/{{config.ownerKind | default:users}}/{{config.owner}}/repos"
              query: {type: all, sort: full_name, per_page: "{{page.size}}"}
            pagination: {type: link}
            id: full_name
            only:
              - path: name
                config: repos
            emits:
              - {path: owner, stream: users}
            fields:
              name: {type: string}
              fullName: {type: string, path: full_name}
              description: {type: string}
              private: {type: bool}
              defaultBranch: {type: string, path: default_branch}
              owner: {type: ref, to: GitHubUser, path: owner.login}
              htmlURL: {type: string, path: html_url}
              createdAt: {type: date, path: created_at}
              updatedAt: {type: date, path: updated_at}
              pushedAt: {type: date, path: pushed_at}
          - name: labels
            parent: repositories
            entity: GitHubLabel
            summary: A label of a repository.
            request:
              path: "/repos/{{parent.id}}/labels"
              query: {per_page: "{{page.size}}"}
            pagination: {type: link}
            fields:
              name: {type: string, indexed: true}
              color: {type: string}
              description: {type: string}
              repository: {type: ref, to: GitHubRepository, template: "{{parent.id}}"}
          - name: milestones
            parent: repositories
            entity: GitHubMilestone
            summary: A milestone of a repository.
            request:
              path: "/repos/{{parent.id}}/milestones"
              query: {state: all, per_page: "{{page.size}}"}
            pagination: {type: link}
            fields:
              number: {type: int}
              title: {type: string}
              description: {type: string}
              state: {type: string, summary: open or closed}
              dueOn: {type: date, path: due_on}
              createdAt: {type: date, path: created_at}
              updatedAt: {type: date, path: updated_at}
              closedAt: {type: date, path: closed_at}
              repository: {type: ref, to: GitHubRepository, template: "{{parent.id}}"}
          - name: issues
            parent: repositories
            entity: GitHubIssue
            summary: "An issue (pull requests are GitHubPullRequest); its id is owner/repo/issues/number."
            request:
              path: "/repos/{{parent.id}}/issues"
              query: {state: all, sort: updated, direction: asc, since: "{{since}}", per_page: "{{page.size}}"}
            pagination: {type: link}
            incremental: {cursorField: updated_at, lookback: 60}
            id: "{{record.url | lastPathComponents:4}}"
            # The issues listing returns pull requests too; they are synced from /pulls.
            skip:
              - {path: pull_request, present: true}
            emits:
              - {path: user, stream: users}
              - {path: assignees, stream: users}
            indexes: [[state, updatedAt]]
            fields:
              number: {type: int}
              title: {type: string}
              body: {type: string}
              state: {type: string, summary: open or closed}
              author: {type: ref, to: GitHubUser, path: user.login}
              assignees: {type: refs, to: GitHubUser, item: login}
              labels: {type: refs, to: GitHubLabel, item: id}
              milestone: {type: ref, to: GitHubMilestone, path: milestone.id}
              commentCount: {type: int, path: comments}
              htmlURL: {type: string, path: html_url}
              createdAt: {type: date, path: created_at}
              updatedAt: {type: date, path: updated_at, indexed: true}
              closedAt: {type: date, path: closed_at}
              repository: {type: ref, to: GitHubRepository, template: "{{parent.id}}"}
          - name: pullRequests
            parent: repositories
            entity: GitHubPullRequest
            summary: "A pull request; its id is owner/repo/pulls/number."
            request:
              path: "/repos/{{parent.id}}/pulls"
              query: {state: all, sort: updated, direction: desc, per_page: "{{page.size}}"}
            pagination: {type: link}
            # /pulls takes no since: newest first, read until the first older one.
            incremental: {cursorField: updated_at, order: descending, lookback: 60}
            id: "{{record.url | lastPathComponents:4}}"
            emits:
              - {path: user, stream: users}
              - {path: assignees, stream: users}
            fields:
              number: {type: int}
              title: {type: string}
              body: {type: string}
              state: {type: string, summary: open or closed}
              draft: {type: bool}
              author: {type: ref, to: GitHubUser, path: user.login}
              assignees: {type: refs, to: GitHubUser, item: login}
              labels: {type: refs, to: GitHubLabel, item: id}
              headRef: {type: string, path: head.ref}
              baseRef: {type: string, path: base.ref}
              mergedAt: {type: date, path: merged_at}
              createdAt: {type: date, path: created_at}
              updatedAt: {type: date, path: updated_at}
              closedAt: {type: date, path: closed_at}
              repository: {type: ref, to: GitHubRepository, template: "{{parent.id}}"}
          - name: comments
            parent: repositories
            entity: GitHubComment
            summary: A comment on an issue or pull request.
            request:
              path: "/repos/{{parent.id}}/issues/comments"
              query: {sort: updated, direction: asc, since: "{{since}}", per_page: "{{page.size}}"}
            pagination: {type: link}
            incremental: {cursorField: updated_at, lookback: 60}
            emits:
              - {path: user, stream: users}
            fields:
              body: {type: string}
              author: {type: ref, to: GitHubUser, path: user.login}
              issue: {type: ref, to: GitHubIssue, template: "{{record.issue_url | lastPathComponents:4}}", summary: "the issue (for a pull request's comment, owner/repo/issues/number of the pull request)"}
              createdAt: {type: date, path: created_at}
              updatedAt: {type: date, path: updated_at}
              repository: {type: ref, to: GitHubRepository, template: "{{parent.id}}"}
          - name: users
            entity: GitHubUser
            summary: A GitHub account that owns, opens, is assigned or comments; its id is the login.
            id: login
            fields:
              login: {type: string}
              type: {type: string, summary: "User, Organization or Bot"}
              htmlURL: {type: string, path: html_url}
        operations:
          - id: createIssue
            displayName: Create an issue
            description: Opens an issue in a repository of the owner; it is in the local store at once.
            mutating: true
            input:
              type: object
              required: [repository, title]
              additionalProperties: false
              properties:
                repository: {type: string, pattern: "^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", description: owner/name}
                title: {type: string, minLength: 1, maxLength: 256}
                body: {type: string, maxLength: 65536}
                labels: {type: array, items: {type: string}}
                assignees: {type: array, items: {type: string}}
            request:
              method: POST
              path: "/repos/{{input.repository}}/issues"
              body: {title: "{{input.title}}", body: "{{input.body}}", labels: "{{input.labels}}", assignees: "{{input.assignees}}"}
            writeThrough: issues
            parent: "{{input.repository}}"
          - id: commentOnIssue
            displayName: Comment on an issue
            description: Adds a comment to an issue or pull request; it is in the local store at once.
            mutating: true
            input:
              type: object
              required: [repository, number, body]
              additionalProperties: false
              properties:
                repository: {type: string, pattern: "^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$"}
                number: {type: integer, minimum: 1}
                body: {type: string, minLength: 1, maxLength: 65536}
            request:
              method: POST
              path: "/repos/{{input.repository}}/issues/{{input.number}}/comments"
              body: {body: "{{input.body}}"}
            writeThrough: comments
            parent: "{{input.repository}}"
          - id: closeIssue
            displayName: Close an issue
            description: Closes an issue; the local store shows it closed at once.
            mutating: true
            input:
              type: object
              required: [repository, number]
              additionalProperties: false
              properties:
                repository: {type: string, pattern: "^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$"}
                number: {type: integer, minimum: 1}
                reason: {enum: [completed, not_planned]}
            request:
              method: PATCH
              path: "/repos/{{input.repository}}/issues/{{input.number}}"
              body: {state: closed, state_reason: "{{input.reason}}"}
            writeThrough: issues
            parent: "{{input.repository}}"
        """#
}
