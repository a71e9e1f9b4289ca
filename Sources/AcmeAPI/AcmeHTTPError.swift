import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// An error the API answers with `{"error": message}` and a status.
struct AcmeHTTPError: Error, Sendable {
    let status: HTTPResponse.Status
    let message: String
    var headers: HTTPFields = [:]

    static let notFound = AcmeHTTPError(status: .notFound, message: "Not found")
    static func badRequest(_ message: String) -> AcmeHTTPError { AcmeHTTPError(status: .badRequest, message: message) }
}

/// Builds JSON responses.
///
/// Keys are sorted, so the same data always gives the same bytes.
enum Reply {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try encoder.encode(value)
        return Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func error(_ error: AcmeHTTPError) -> Response {
        var response = (try? json(["error": error.message], status: error.status)) ?? Response(status: error.status)
        for field in error.headers { response.headers.append(field) }
        return response
    }

    /// Encodes a value as JSON text, for the change log.
    static func text<T: Encodable>(_ value: T) -> String {
        String(decoding: (try? encoder.encode(value)) ?? Data("null".utf8), as: UTF8.self)
    }
}

/// Turns thrown errors into the API's JSON error bodies.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    // `@concurrent` matches Hummingbird's requirement, which is declared without the
    // NonisolatedNonsendingByDefault feature this package enables.
    @concurrent
    func handle(
        _ request: Request, context: Context, next: @concurrent (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as AcmeHTTPError {
            return Reply.error(error)
        } catch let error as HTTPError {
            let message = error.status == .notFound ? "Not found" : (error.body ?? error.status.reasonPhrase)
            return Reply.error(AcmeHTTPError(status: error.status, message: message))
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(error)"])
            return Reply.error(AcmeHTTPError(status: .internalServerError, message: "Internal error"))
        }
    }
}

/// A request body as a JSON object, with typed accessors that answer 400 for bad input.
struct Body: Sendable {
    let fields: [String: AnyJSON]

    static func read(_ request: inout Request) async throws -> Body {
        let buffer = try await request.collectBody(upTo: 1_048_576)
        guard buffer.readableBytes > 0 else { return Body(fields: [:]) }
        guard let object = try? JSONDecoder().decode([String: AnyJSON].self, from: Data(buffer.readableBytesView))
        else {
            throw AcmeHTTPError.badRequest("Body must be a JSON object")
        }
        return Body(fields: object)
    }

    func has(_ key: String) -> Bool { fields[key] != nil }

    func string(_ key: String) throws -> String? {
        switch fields[key] {
        case nil, .null?: return nil
        case .string(let value)?: return value
        default: throw AcmeHTTPError.badRequest("\(key) must be a string")
        }
    }

    func requiredString(_ key: String) throws -> String {
        guard let value = try string(key), !value.isEmpty else { throw AcmeHTTPError.badRequest("\(key) is required") }
        return value
    }

    func oneOf(_ key: String, _ allowed: [String]) throws -> String? {
        guard let value = try string(key) else { return nil }
        guard allowed.contains(value) else {
            throw AcmeHTTPError.badRequest("\(key) must be one of \(allowed.joined(separator: ", "))")
        }
        return value
    }

    func bool(_ key: String) throws -> Bool? {
        switch fields[key] {
        case nil, .null?: return nil
        case .bool(let value)?: return value
        default: throw AcmeHTTPError.badRequest("\(key) must be a boolean")
        }
    }

    func int(_ key: String) throws -> Int? {
        switch fields[key] {
        case nil, .null?: return nil
        case .int(let value)?: return value
        default: throw AcmeHTTPError.badRequest("\(key) must be an integer")
        }
    }

    func date(_ key: String) throws -> String? {
        guard let value = try string(key) else { return nil }
        guard AcmeTime.isValid(value) else { throw AcmeHTTPError.badRequest("\(key) must be an ISO-8601 date") }
        return value
    }

    func strings(_ key: String) throws -> [String]? {
        switch fields[key] {
        case nil, .null?: return nil
        case .array(let values)?:
            return try values.map {
                guard let text = $0.string else { throw AcmeHTTPError.badRequest("\(key) must be an array of strings") }
                return text
            }
        default: throw AcmeHTTPError.badRequest("\(key) must be an array of strings")
        }
    }
}
