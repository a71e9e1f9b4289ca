import Foundation
import MaxCore

/// The API's JSON shapes that onboarding decodes (entity pages are read by ``AcmeEntityShape``).
enum AcmeDTO {
    struct Workspace: Decodable, Identifiable {
        let id: String
        let name: String
        let createdAt: String
        let updatedAt: String
    }
}
