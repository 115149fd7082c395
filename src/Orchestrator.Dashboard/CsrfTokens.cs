using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Orchestrator.Dashboard;

/// <summary>
/// The CSRF token of a browser session. The session is a random id in a cookie of its own; the token its pages' forms
/// carry is an HMAC of that id under a key of this process, so a page of another site, which reads neither the cookie
/// nor the pages, cannot produce it.
/// </summary>
public sealed class CsrfTokens
{
    public const string Cookie = "orchestrator-session";
    public const string Field = "csrf";
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);

    /// <summary>The token of the request's session; a request without a session starts one (sets its cookie).</summary>
    public string TokenFor(HttpContext context, CookieOptions cookie)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!context.Request.Cookies.TryGetValue(Cookie, out var session) || session.Length == 0)
        {
            session = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
            context.Response.Cookies.Append(Cookie, session, cookie);
        }
        return Sign(session);
    }

    /// <summary>Whether the request's form carries its session's token.</summary>
    public async Task<bool> IsCarriedByAsync(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!request.Cookies.TryGetValue(Cookie, out var session) || session.Length == 0 || !request.HasFormContentType) return false;
        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(request.HttpContext.RequestAborted);
        }
        catch (InvalidDataException)
        {
            return false; // a malformed body carries no token
        }
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(Sign(session)), Encoding.UTF8.GetBytes(form[Field].ToString()));
    }

    private string Sign(string session) => Base64Url.EncodeToString(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(session)));
}
