using System.Security.Cryptography;
using System.Text.Json;

namespace Orchestrator.Domain.Events;

/// <summary>The per-image test outputs of a completed trial, in split order: true labels, predicted classes and the
/// softmax probabilities. Stored as a JSON file beside the best weights (<see cref="TestOutputsFile"/>), not in the
/// journal row.</summary>
public sealed record TestOutputs(int[] Labels, int[] Predictions, float[][] Probabilities)
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        RespectRequiredConstructorParameters = true,
        RespectNullableAnnotations = true,
    };

    public byte[] ToUtf8Json() => JsonSerializer.SerializeToUtf8Bytes(this, Options);

    public static string Sha256Of(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));

    /// <summary>Reads <paramref name="content"/> when it hashes to <paramref name="sha256"/>.</summary>
    /// <exception cref="InvalidDataException">Another SHA-256 (damaged or replaced), or not test outputs.</exception>
    public static TestOutputs FromUtf8Json(byte[] content, string sha256)
    {
        ArgumentNullException.ThrowIfNull(content);
        var actual = Sha256Of(content);
        if (!string.Equals(actual, sha256, StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException($"SHA-256 {actual[..12]}... where the journal recorded {sha256[..Math.Min(12, sha256.Length)]}...");
        try
        {
            var outputs = JsonSerializer.Deserialize<TestOutputs>(content, Options) ?? throw new InvalidDataException("empty test outputs");
            if (outputs.Predictions.Length != outputs.Labels.Length || outputs.Probabilities.Length != outputs.Labels.Length)
                throw new InvalidDataException($"{outputs.Labels.Length} labels, {outputs.Predictions.Length} predictions, {outputs.Probabilities.Length} probability rows");
            return outputs;
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"not test outputs: {ex.Message}", ex);
        }
    }
}
