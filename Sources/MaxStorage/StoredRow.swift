import GRDB
import MaxCore

extension Row {
    /// The value of `column`, or a `storage.database_error` naming the column when the stored value
    /// has another type (GRDB's subscript would stop the process instead).
    func value<Value: DatabaseValueConvertible>(
        _ column: Column, as type: Value.Type = Value.self, in table: String
    ) throws -> Value {
        do {
            return try decode(type, forColumn: column)
        } catch {
            throw MaxError(
                .databaseError, "\(table).\(column.name) holds a value Max cannot read as \(Value.self)",
                hint: "a newer version of Max, or another program, may have written it", cause: DatabaseFailure(error))
        }
    }

    /// The state stored in `column`: an enum's raw value, or a `storage.database_error` for one this
    /// version of Max does not know.
    func state<State: RawRepresentable>(_ column: Column, as type: State.Type, in table: String) throws -> State
    where State.RawValue == String {
        let raw = try value(column, as: String.self, in: table)
        guard let state = State(rawValue: raw) else {
            throw MaxError(
                .databaseError, "\(table).\(column.name) holds '\(raw)', a state this version of Max does not know",
                hint: "a newer version of Max, or another program, may have written it")
        }
        return state
    }
}
