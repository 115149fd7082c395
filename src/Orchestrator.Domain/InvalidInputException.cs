namespace Orchestrator.Domain;

/// <summary>Input the user must fix before anything runs: one line, shown as is (every layer raises it; the CLI prints
/// its message and exits 2).</summary>
public sealed class InvalidInputException(string message) : Exception(message);
