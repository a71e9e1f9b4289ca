import MaxCore

extension SyncSummary: Codable {
    private enum CodingKeys: String, CodingKey {
        case run, status, kind, entities, entitiesByType, tasksCompleted, tasksFailed, durationMs, errors, notes
    }

    /// Reads a summary as ``encode(to:)`` wrote it; every key but `errors` and `notes` is required.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let byType = try container.decode([String: Int].self, forKey: .entitiesByType)
        var counts: [EntityType: Int] = [:]
        for (name, count) in byType { counts[EntityType(name)] = count }
        self.init(
            runID: try container.decode(String.self, forKey: .run),
            status: try container.decode(String.self, forKey: .status),
            kind: try container.decode(String.self, forKey: .kind), entitiesWritten: counts,
            tasksCompleted: try container.decode(Int.self, forKey: .tasksCompleted),
            tasksFailed: try container.decode(Int.self, forKey: .tasksFailed),
            errors: try container.decodeIfPresent([MaxError].self, forKey: .errors) ?? [],
            duration: Double(try container.decode(Int.self, forKey: .durationMs)) / 1000)
        notes = try container.decodeIfPresent([String].self, forKey: .notes) ?? []
    }

    /// `run`, `status`, `kind`, `entities`, `entitiesByType`, `tasksCompleted`, `tasksFailed`,
    /// `durationMs`, the first `errors` of failed tasks and the `notes`, when there are any.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(runID, forKey: .run)
        try container.encode(status, forKey: .status)
        try container.encode(kind, forKey: .kind)
        try container.encode(totalEntities, forKey: .entities)
        var byType: [String: Int] = [:]
        for (type, count) in entitiesWritten { byType[type.name] = count }
        try container.encode(byType, forKey: .entitiesByType)
        try container.encode(tasksCompleted, forKey: .tasksCompleted)
        try container.encode(tasksFailed, forKey: .tasksFailed)
        try container.encode(Int(duration * 1000), forKey: .durationMs)
        if !errors.isEmpty { try container.encode(errors, forKey: .errors) }
        if !notes.isEmpty { try container.encode(notes, forKey: .notes) }
    }
}
