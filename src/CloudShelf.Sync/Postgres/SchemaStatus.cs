namespace CloudShelf.Sync.Postgres;

/// <summary>How a database's schema stands towards a build.</summary>
public enum SchemaStatus
{
    /// <summary>Exactly the migrations the build knows.</summary>
    Current,

    /// <summary>Newer than the build, and every newer migration declares itself compatible with it.</summary>
    NewerCompatible,

    /// <summary>Migrations the build needs are missing: run this build's <c>migrate</c> first.</summary>
    TooOld,

    /// <summary>A newer migration works only with builds newer than this one (a contract step).</summary>
    Incompatible,

    /// <summary>A migration the build knows was applied with a different script.</summary>
    Edited,
}
