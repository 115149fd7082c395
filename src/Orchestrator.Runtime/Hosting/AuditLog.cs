using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.Channels;

namespace Orchestrator.Runtime.Hosting;

/// <summary>One line of the audit log: a command the node's control facade accepted or refused. <c>Caller</c> is who the
/// signed command says it is (only a key holder can sign); <c>From</c> the actor path it came from; no key, no MAC.</summary>
public sealed record AuditEntry(DateTimeOffset Time, string Node, string Outcome, string Command, string? Body, string? Caller,
    string? Nonce, string From, string? Reason);

/// <summary>
/// The append-only audit log of the commands that change the cluster: one JSON line per command accepted or refused,
/// in <c>audit.jsonl</c> next to the process's log file (or where <see cref="PathVariable"/> says). Lines are queued
/// and written by one background task, so that an actor never waits for the disk.
/// </summary>
public sealed class AuditLog : IAsyncDisposable
{
    public const string PathVariable = "ORCHESTRATOR_AUDIT_LOG";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly Channel<AuditEntry> _lines = Channel.CreateUnbounded<AuditEntry>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writer;

    public AuditLog(string path)
    {
        FilePath = path;
        _writer = Task.Run(WriteAsync);
    }

    public string FilePath { get; }

    /// <summary>The default path: <c>audit.jsonl</c> in the directory of the process's log file.</summary>
    public static string DefaultPath => Environment.GetEnvironmentVariable(PathVariable) is { Length: > 0 } set
        ? Path.GetFullPath(set)
        : Path.Combine(Path.GetDirectoryName(ProcessLogger.FilePath)!, "audit.jsonl");

    public void Write(AuditEntry entry) => _lines.Writer.TryWrite(entry);

    private async Task WriteAsync()
    {
        await foreach (var entry in _lines.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!);
                // Opened per line in append mode: several nodes sharing a directory each add whole lines.
                await File.AppendAllTextAsync(FilePath, JsonSerializer.Serialize(entry, Json) + "\n").ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                await Console.Error.WriteLineAsync($"audit log {FilePath}: cannot write ({ex.Message})").ConfigureAwait(false);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _lines.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
    }
}
