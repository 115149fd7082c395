namespace Orchestrator.Engine.Interop;

/// <summary>A failure reported by the native engine; the message is the native one.</summary>
public sealed class EngineException : Exception
{
    public EngineException(string message) : base(message) { }
    public EngineException(string message, Exception inner) : base(message, inner) { }
    public EngineException(string message, bool invalidInput) : base(message) => InvalidInput = invalidInput;

    /// <summary>The engine refused its arguments or input files (OTE_INVALID_INPUT) and changed nothing.</summary>
    public bool InvalidInput { get; }
}
