using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Orchestrator.Cli.Commands;
using Orchestrator.Runtime.Sweeps;

namespace Orchestrator.Cli.Dashboard;

/// <summary>
/// Who may use the dashboard. There is no login: on loopback anyone on this machine may; on any other address a token
/// is required, from --token-file or $ORCHESTRATOR_DASHBOARD_TOKEN (never argv, where `ps` shows it to every user).
/// </summary>
public sealed class DashboardAccess
{
    public const string TokenVariable = "ORCHESTRATOR_DASHBOARD_TOKEN";
    public const string Cookie = "orchestrator-dashboard";
    private readonly byte[]? _token;

    private DashboardAccess(string? token) => _token = token is null ? null : Encoding.UTF8.GetBytes(token);

    public bool RequiresToken => _token is not null;

    /// <exception cref="InvalidInputException">A non-loopback host without a token, or an unreadable or empty token file.</exception>
    public static DashboardAccess Resolve(IPAddress host, string hostText, FileInfo? tokenFile)
    {
        string? token = null;
        if (tokenFile is not null)
        {
            if (!tokenFile.Exists) throw new InvalidInputException($"--token-file: file not found: {tokenFile.FullName}");
            token = File.ReadAllText(tokenFile.FullName).Trim();
            if (token.Length == 0) throw new InvalidInputException($"--token-file: {tokenFile.FullName} is empty");
        }
        else if (Environment.GetEnvironmentVariable(TokenVariable) is { Length: > 0 } env)
            token = env.Trim();
        if (token is null && !IPAddress.IsLoopback(host))
            throw new InvalidInputException($"--host: {hostText} is not a loopback address and the dashboard has no login; " +
                                            $"give a token with --token-file FILE or ${TokenVariable}, or leave --host at 127.0.0.1");
        return new DashboardAccess(token);
    }

    /// <summary>The request's verdict: null to go on; otherwise the status to answer with.</summary>
    public int? Check(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var request = context.Request;
        // A page elsewhere must not make the browser post a cancel here (there is no login to ask first).
        if (HttpMethods.IsPost(request.Method) && request.Headers.Origin.ToString() is { Length: > 0 } origin
            && !(Uri.TryCreate(origin, UriKind.Absolute, out var from) && string.Equals(from.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase)))
            return StatusCodes.Status403Forbidden;
        if (_token is null) return null;
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.Ordinal) && Matches(authorization["Bearer ".Length..])) return null;
        if (request.Cookies.TryGetValue(Cookie, out var cookie) && Matches(cookie)) return null;
        if (request.Query.TryGetValue("token", out var query) && Matches(query.ToString()))
        {
            context.Response.Cookies.Append(Cookie, query.ToString(), new CookieOptions
            {
                HttpOnly = true, SameSite = SameSiteMode.Strict, Secure = request.IsHttps, Path = "/",
            });
            return null;
        }
        return StatusCodes.Status401Unauthorized;
    }

    private bool Matches(string given) => CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), _token);
}
