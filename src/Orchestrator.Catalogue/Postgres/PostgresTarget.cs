using Npgsql;

namespace Orchestrator.Catalogue.Postgres;

/// <summary>
/// A PostgreSQL database named by a <c>postgres://user@host:port/db</c> URL. The URL never carries a password:
/// it would end up in shell history, process listings and logs. The password comes from <c>PGPASSWORD</c> or a
/// passfile (<c>PGPASSFILE</c>, else <c>~/.pgpass</c>), as with libpq.
/// </summary>
public sealed record PostgresTarget(string Host, int Port, string Database, string User, string? SslMode)
{
    public const int DefaultPort = 5432;

    public string Display => $"postgres://{User}@{(Host.Contains(':') ? $"[{Host}]" : Host)}:{Port}/{Database}";

    /// <exception cref="FormatException">Not a usable URL, or one with a password; the message says why.</exception>
    public static PostgresTarget Parse(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Host.Length == 0)
            throw new FormatException($"store URL '{Redact(url)}': expected postgres://user@host[:port]/database");
        if (uri.UserInfo.Contains(':'))
            throw new FormatException(
                $"store URL '{Redact(url)}': a password in the URL is refused (it would show in process lists and logs); " +
                "set PGPASSWORD or use a passfile (~/.pgpass or PGPASSFILE)");
        var user = Uri.UnescapeDataString(uri.UserInfo);
        if (user.Length == 0) user = Environment.GetEnvironmentVariable("PGUSER") is { Length: > 0 } u ? u : Environment.UserName;
        var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Length == 0 || database.Contains('/'))
            throw new FormatException($"store URL '{Redact(url)}': expected one database name after the host, as in postgres://user@host:5432/orchestrator");
        string? sslMode = null;
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            var key = Uri.UnescapeDataString(kv[0]);
            if (key is "password")
                throw new FormatException($"store URL '{Redact(url)}': a password in the URL is refused; set PGPASSWORD or use a passfile");
            if (key is not "sslmode" || kv.Length != 2)
                throw new FormatException($"store URL '{Redact(url)}': unknown parameter '{key}' (only sslmode is accepted)");
            sslMode = Uri.UnescapeDataString(kv[1]);
            if (!Enum.TryParse<SslMode>(sslMode.Replace("-", ""), ignoreCase: true, out _))
                throw new FormatException($"store URL '{Redact(url)}': sslmode '{sslMode}' is not one of disable, allow, prefer, require, verify-ca, verify-full");
        }
        var host = uri.Host.Trim('[', ']');
        return new PostgresTarget(host, uri.IsDefaultPort || uri.Port < 0 ? DefaultPort : uri.Port, database, user, sslMode);
    }

    /// <summary>The Npgsql connection string, with the password from the environment or a passfile.</summary>
    public string ConnectionString()
    {
        var b = new NpgsqlConnectionStringBuilder
        {
            Host = Host,
            Port = Port,
            Database = Database,
            Username = User,
            ApplicationName = "orchestrator",
            Timeout = 5,
            CommandTimeout = 30,
            // Detects a peer that vanished (a cut network) instead of waiting on a dead socket.
            KeepAlive = 5,
            TcpKeepAlive = true,
            MaxPoolSize = 20,
            // The same few statements run all the time (claims, appends, heartbeats): prepared once per connection,
            // the server skips parsing and planning them.
            MaxAutoPrepare = 32,
            AutoPrepareMinUsages = 2,
            // Nothing session-level outlives a use of a connection (every statement runs in a transaction it ends; the
            // only lock is transaction-scoped), so a connection back in the pool needs no reset: that was a round trip
            // before every journal read and write.
            NoResetOnClose = true,
            // Server side: a client that vanished mid-transaction (a cut network, a frozen box) must not keep its row
            // locks, which would block claims of its trials; dead idle sessions end within ~15 s.
            Options = "-c idle_in_transaction_session_timeout=15000 -c tcp_keepalives_idle=5 -c tcp_keepalives_interval=2 -c tcp_keepalives_count=3",
        };
        if (SslMode is not null) b.SslMode = Enum.Parse<SslMode>(SslMode.Replace("-", ""), ignoreCase: true);
        if (Environment.GetEnvironmentVariable("PGPASSWORD") is { Length: > 0 } password)
            b.Password = password;
        else if (PassfilePath() is { } passfile)
            b.Passfile = passfile;
        return b.ConnectionString;
    }

    private static string? PassfilePath()
    {
        if (Environment.GetEnvironmentVariable("PGPASSFILE") is { Length: > 0 } set) return set;
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var standard = Path.Combine(home, ".pgpass");
        return home.Length > 0 && File.Exists(standard) ? standard : null;
    }

    /// <summary>The URL with the password part of the user info and any password parameter masked, for messages.</summary>
    public static string Redact(string url)
    {
        url = System.Text.RegularExpressions.Regex.Replace(url, "(?i)(password=)[^&]*", "$1***");
        var start = url.IndexOf("//", StringComparison.Ordinal);
        var at = url.IndexOf('@', StringComparison.Ordinal);
        if (start < 0 || at < start) return url;
        var colon = url.IndexOf(':', start + 2);
        return colon > 0 && colon < at ? string.Concat(url.AsSpan(0, colon + 1), "***", url.AsSpan(at)) : url;
    }

    public override string ToString() => Display;
}
