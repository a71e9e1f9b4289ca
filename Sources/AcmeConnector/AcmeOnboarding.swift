import Foundation
public import MaxConnector
import MaxCore

/// How a user connects Acme: the tenant URL; an API token, or an OAuth 2.0 authorization
/// (`--config auth=oauth`); a check of the access; and the workspace to sync.
public enum AcmeOnboarding {
    /// The OAuth 2.0 step: Acme's authorization-code flow with PKCE, for the public client `max`.
    public static let oauth = OAuth2Step(
        "Authorize Max in Acme", provider: "Acme", scopes: ["read"], credential: AcmeCredentials.refreshToken,
        authorizationURL: "{baseURL}/oauth/authorize", tokenURL: "{baseURL}/oauth/token", clientID: "max",
        accessToken: AcmeCredentials.accessToken, revocationURL: "{baseURL}/oauth/revoke")

    /// The flow.
    public static let flow = OnboardingFlow([
        .input(
            InputStep(
                "Acme tenant", description: "The address of your Acme tenant.",
                fields: [.url("baseURL", label: "Tenant URL", placeholder: "https://acme.example.com")])),
        .select(
            SelectStep("How Max signs in", field: "auth", default: AcmeAuth.token.rawValue) { _, _ in
                [
                    SelectOption(label: "API token", value: AcmeAuth.token.rawValue),
                    SelectOption(label: "OAuth (authorize in the browser)", value: AcmeAuth.oauth.rawValue),
                ]
            }),
        .when(
            .field("auth", isOrDefaults: AcmeAuth.token.rawValue),
            .input(
                InputStep(
                    "API token",
                    description: "Create a token in Acme under Settings → API tokens (it starts with acme_).",
                    credentials: [CredentialInput(AcmeCredentials.apiToken, label: "API token")]))),
        .when(.field("auth", is: AcmeAuth.oauth.rawValue), .oauth2(oauth)),
        .validation(
            ValidationStep("Checking access") { state, context in
                _ = try await workspaces(state, context)
            }),
        .select(
            SelectStep("Workspace", field: "workspaceId") { state, context in
                try await workspaces(state, context).map { SelectOption(label: $0.name, value: $0.id) }
            }),
    ])

    /// Lists the workspaces the token can see, turning failures into messages about what to fix.
    static func workspaces(_ state: OnboardingState, _ context: OnboardingContext) async throws -> [AcmeDTO.Workspace] {
        guard let baseURL = state["baseURL"]?.stringValue else {
            throw MaxError(.onboardingInvalidInput, "the tenant URL is missing", context: ["field": "baseURL"])
        }
        let auth = AcmeAuth(rawValue: state["auth"]?.stringValue ?? "") ?? .token
        let client = AcmeClient(baseURL: baseURL, auth: auth, credentials: context.credentialStore)
        do {
            return try await client.get("/api/workspaces")
        } catch let error as MaxError where error.code == .httpUnauthorized && auth == .token {
            throw MaxError(
                .onboardingValidationFailed, "the API token was rejected by \(baseURL)",
                hint: "check the token (it starts with acme_) or create a new one", context: ["field": "api_token"])
        } catch let error as MaxError where error.code == .httpUnreachable || error.code == .httpTimeout {
            throw MaxError(
                .onboardingValidationFailed, "\(baseURL) is unreachable",
                hint: "check the tenant URL and that Acme is running", context: ["field": "baseURL"], cause: error)
        } catch let error as MaxError where error.code == .httpNotFound || error.code == .httpInvalidResponse {
            throw MaxError(
                .onboardingValidationFailed, "\(baseURL) does not look like an Acme tenant",
                hint: "check the tenant URL", context: ["field": "baseURL"], cause: error)
        }
    }
}
