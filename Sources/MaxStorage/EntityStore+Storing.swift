public import MaxCore
public import MaxStore

extension EntityStore: EntityStoring {
    /// The schema the store holds.
    public var storedSchema: Schema { schema }
}
