using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Extensions;
using Orchestrator.Domain;

namespace Orchestrator.Dashboard;

/// <summary>
/// Who may use the dashboard. Every request must name an allowed host (<see cref="DashboardHosts"/>). On loopback anyone
/// on this machine may; on any other address a token is required, from --token-file or $ORCHESTRATOR_DASHBOARD_TOKEN
/// (never argv, where `ps` shows it to every user). Every request that changes something (not a GET or HEAD) must carry
/// its session's CSRF token, and an Origin header, when it has one, of an allowed host.
/// </summary>
public sealed class DashboardAccess
{
    public const string TokenVariable = "ORCHESTRATOR_DASHBOARD_TOKEN";
    public const string Cookie = "orchestrator-dashboard";
    private const string TokenParameter = "token";
    private readonly byte[]? _token;
    private readonly DashboardHosts _hosts;
    private readonly bool _behindTlsProxy;
    private readonly CsrfTokens _csrf = new();

    private DashboardAccess(string? token, DashboardHosts hosts, bool behindTlsProxy)
    {
        _token = token is null ? null : Encoding.UTF8.GetBytes(token);
        _hosts = hosts;
        _behindTlsProxy = behindTlsProxy;
    }

    public bool RequiresToken => _token is not null;

    /// <exception cref="InvalidInputException">A non-loopback host without a token, or an unreadable or empty token file.</exception>
    public static DashboardAccess Resolve(IPAddress host, string hostText, FileInfo? tokenFile, DashboardHosts hosts, bool behindTlsProxy)
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
        return new DashboardAccess(token, hosts, behindTlsProxy);
    }

    /// <summary>True to go on to the page; false when this has answered the request itself (a refusal, or the
    /// redirect of a ?token= login).</summary>
    public async Task<bool> AdmitAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var request = context.Request;
        var port = context.Connection.LocalPort;
        if (!_hosts.AllowsHost(request.Host, port))
            return await RefuseAsync(context.Response, StatusCodes.Status403Forbidden,
                "forbidden: this dashboard does not answer to that host name (a proxy's address is given with --public-url)");
        if (_token is not null)
        {
            if (HttpMethods.IsGet(request.Method) && request.Query.TryGetValue(TokenParameter, out var given))
                return await LogInAsync(context, given.ToString());
            if (!Authorized(request))
                return await RefuseAsync(context.Response, StatusCodes.Status401Unauthorized,
                    "unauthorized: this dashboard needs its token (an Authorization: Bearer header, or ?token= once)");
        }
        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method)) return true;
        if (request.Headers.Origin.ToString() is { Length: > 0 } origin && !_hosts.AllowsOrigin(origin, port))
            return await RefuseAsync(context.Response, StatusCodes.Status403Forbidden, "forbidden: this request came from another site's page");
        if (!await _csrf.IsCarriedByAsync(request))
            return await RefuseAsync(context.Response, StatusCodes.Status403Forbidden,
                "forbidden: the form's CSRF token is missing or not this session's; reload the page and try again");
        return true;
    }

    /// <summary>The CSRF token the request's page embeds in its forms.</summary>
    public string CsrfToken(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return _csrf.TokenFor(context, CookieFor(context.Request));
    }

    private bool Authorized(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        return (authorization.StartsWith("Bearer ", StringComparison.Ordinal) && Matches(authorization["Bearer ".Length..]))
               || (request.Cookies.TryGetValue(Cookie, out var cookie) && Matches(cookie));
    }

    /// <summary>The right token sets the cookie and sends the browser to the same URL without it, so that neither the
    /// address bar nor the history keeps it.</summary>
    private async Task<bool> LogInAsync(HttpContext context, string given)
    {
        if (!Matches(given))
            return await RefuseAsync(context.Response, StatusCodes.Status401Unauthorized, "unauthorized: that is not this dashboard's token");
        var request = context.Request;
        context.Response.Cookies.Append(Cookie, given, CookieFor(request));
        var rest = new QueryBuilder(request.Query.Where(q => !string.Equals(q.Key, TokenParameter, StringComparison.OrdinalIgnoreCase)));
        // One leading slash: "//name" would be a URL of another host.
        context.Response.Headers.Location = "/" + (request.PathBase + request.Path).ToUriComponent().TrimStart('/') + rest.ToQueryString();
        context.Response.Headers.CacheControl = "no-store";
        context.Response.StatusCode = StatusCodes.Status303SeeOther;
        return false;
    }

    /// <summary>Behind a TLS proxy the browser speaks HTTPS though this app does not: its cookies are Secure then too.</summary>
    private CookieOptions CookieFor(HttpRequest request) => new()
    {
        HttpOnly = true, SameSite = SameSiteMode.Strict, Secure = request.IsHttps || _behindTlsProxy, Path = "/",
    };

    private static async Task<bool> RefuseAsync(HttpResponse response, int status, string line)
    {
        response.StatusCode = status;
        response.ContentType = "text/plain; charset=utf-8";
        response.Headers.XContentTypeOptions = "nosniff";
        await response.WriteAsync(line + "\n");
        return false;
    }

    private bool Matches(string given) => CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), _token);
}
