namespace Orchestrator.Domain.Events;

/// <summary>An event as stored: its versioned type name (e.g. "TrialStarted.v1") and camelCase JSON payload.</summary>
public sealed record SerializedEvent(string Type, string Payload);
