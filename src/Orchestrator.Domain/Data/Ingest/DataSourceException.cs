namespace Orchestrator.Domain.Data.Ingest;

/// <summary>
/// A source that cannot be ingested as given (missing class images, an existing different dataset, ...): bad input,
/// so it derives from <see cref="FormatException"/>, which the command line reports as one line with exit code 2.
/// </summary>
public sealed class DataSourceException(string message) : FormatException(message);
