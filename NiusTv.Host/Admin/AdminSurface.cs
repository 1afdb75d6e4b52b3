using System.Net;
using System.Net.NetworkInformation;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.HostFiltering;
using Microsoft.AspNetCore.Http.Features;
using NiusTv.Host.Node;

namespace NiusTv.Host.Admin;

/// <summary>What keeps the admin endpoint (API and newsroom) safe from the browser the operator has open beside it:
/// the Host header must name this node (no DNS rebinding), a state-changing request from another site is refused,
/// every response carries the headers that stop framing, sniffing and inline script, wrong tokens are rate-limited
/// per client, and the newsroom's login turns the token into a signed ticket in a cookie, never the token itself.
/// Built from ASP.NET Core's own parts (host filtering, cookie authentication with Data Protection, an authentication
/// scheme and authorization policy for the token (<see cref="AdminAuth"/>), antiforgery, System.Threading.RateLimiting);
/// only the Origin rule is ours, since ASP.NET has none for non-CORS endpoints.</summary>
public static class AdminSurface
{
    public const string CookieScheme = "nius-admin";

    /// <summary>Every body the endpoint takes except an image upload is a JSON document of at most 1 MB; Kestrel
    /// stops reading past this while the body arrives, chunked or not, instead of the default 30 MB.</summary>
    public const long DefaultMaxBodyBytes = 2L << 20;

    /// <summary>The header the newsroom's script sends its antiforgery token in; the token comes from the page's
    /// <c>&lt;meta name="nius-antiforgery"&gt;</c>, since the CSP allows no inline script to hand it over.</summary>
    public const string AntiforgeryHeader = "X-Nius-Antiforgery";

    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; media-src 'self'; " +
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    public static void AddAdminSurface(this WebApplicationBuilder builder, NodeSettings settings)
    {
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = DefaultMaxBodyBytes);
        builder.Services.AddHostFiltering(o =>
        {
            o.AllowedHosts = AllowedHosts(settings).ToList();
            o.AllowEmptyHosts = false;
            o.IncludeFailureMessage = true;
        });
        // Keys under the data folder: a restarted node still accepts the tickets it issued.
        builder.Services.AddDataProtection()
            .SetApplicationName("niustv-admin")
            .PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(settings.DataPath, "admin-keys")));
        builder.Logging.AddFilter("Microsoft.AspNetCore.DataProtection", LogLevel.Error);
        builder.Services.AddAuthentication(CookieScheme).AddCookie(CookieScheme, o =>
        {
            o.Cookie.Name = Newsroom.NewsroomAuth.CookieName;
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.Cookie.Path = "/";
            o.ExpireTimeSpan = TimeSpan.FromHours(12);
            o.SlidingExpiration = true;
            // The token scheme (AdminAuth) decides what a refused request gets; this handler never redirects.
            o.Events.OnRedirectToLogin = c => { c.Response.StatusCode = StatusCodes.Status401Unauthorized; return Task.CompletedTask; };
            o.Events.OnRedirectToAccessDenied = c => { c.Response.StatusCode = StatusCodes.Status403Forbidden; return Task.CompletedTask; };
        });
        builder.Services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "nius_antiforgery";
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.FormFieldName = "__antiforgery";
            o.HeaderName = AntiforgeryHeader;
        });
        builder.Services.AddAdminAuth(settings.AdminToken, settings.AdminFailedTokenLimit, settings.AdminFailedTokenWindow);
        // ASP.NET's handler base says "was challenged" at Information for every refused request; the refusal is the answer.
        builder.Logging.AddFilter(typeof(AdminTokenHandler).FullName, LogLevel.Warning);
        // The node's replies and the CLI's reading of them share one definition (AdminJson).
        builder.Services.ConfigureHttpJsonOptions(o => AdminJson.Configure(o.SerializerOptions));
    }

    /// <summary>Runs before every route: headers first (so refusals carry them too), then Host, then Origin, then who
    /// the caller is and whether it may (<see cref="AdminAuth"/>).</summary>
    public static void UseAdminSurface(this WebApplication app)
    {
        app.Use((ctx, next) =>
        {
            var h = ctx.Response.Headers;
            h.ContentSecurityPolicy = ContentSecurityPolicy;
            h.XContentTypeOptions = "nosniff";
            h.XFrameOptions = "DENY";
            h["Referrer-Policy"] = "same-origin";
            return next(ctx);
        });
        app.UseHostFiltering();
        app.Use(async (ctx, next) =>
        {
            if (CrossSiteProblem(ctx.Request) is { } problem)
            {
                ctx.Response.StatusCode = StatusCodes.Status403Forbidden;
                await ctx.Response.WriteAsJsonAsync(new AdminApi.ErrorBody(problem));
                return;
            }
            await next(ctx);
        });
        app.UseAuthentication();
        app.UseAuthorization();
    }

    /// <summary>The names a request may address this node by: the host given in --admin and the address it binds;
    /// for a loopback bind also localhost; for a wildcard bind (0.0.0.0, ::) every address of this machine and its
    /// host name; plus Node:AdminHosts (names a proxy or Kubernetes Service uses, "*.example.org" allowed).</summary>
    public static IEnumerable<string> AllowedHosts(NodeSettings settings)
    {
        var bound = settings.AdminEndPoint.Address;
        var hosts = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { HostName(bound) };
        var given = settings.Admin[..settings.Admin.LastIndexOf(':')].Trim('[', ']');
        if (given.Length > 0) hosts.Add(IPAddress.TryParse(given, out var ip) ? HostName(ip) : given);
        if (IPAddress.IsLoopback(bound) || bound.Equals(IPAddress.Any) || bound.Equals(IPAddress.IPv6Any))
        {
            hosts.Add("localhost");
            hosts.Add("127.0.0.1");
            hosts.Add("[::1]");
        }
        if (bound.Equals(IPAddress.Any) || bound.Equals(IPAddress.IPv6Any))
        {
            try
            {
                foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
                foreach (var a in nic.GetIPProperties().UnicastAddresses)
                    hosts.Add(HostName(a.Address));
                var name = Dns.GetHostName();
                hosts.Add(name);
            }
            catch (NetworkInformationException) { }
            catch (System.Net.Sockets.SocketException) { }
        }
        foreach (var extra in settings.AdminHosts) hosts.Add(extra);
        return hosts;
    }

    private static string HostName(IPAddress a)
    {
        if (a.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6) return a.ToString();
        var v6 = new IPAddress(a.GetAddressBytes()); // without the scope id, as a Host header carries it
        return $"[{v6}]";
    }

    /// <summary>Why a request that changes something must be refused as coming from another site, or null. Browsers
    /// send Origin on every cross-origin POST, PUT and DELETE (and Sec-Fetch-Site on all of them); the CLI and curl
    /// send neither, and pass.</summary>
    public static string? CrossSiteProblem(HttpRequest request)
    {
        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method)
            || HttpMethods.IsTrace(request.Method))
            return null;
        var site = request.Headers["Sec-Fetch-Site"].ToString();
        if (site is "cross-site" or "same-site")
            return $"cross-site request refused: the browser says it comes from another site (Sec-Fetch-Site: {site})";
        var origin = request.Headers.Origin.ToString();
        if (origin.Length > 0)
            return IsThisNode(origin, request) ? null : $"cross-site request refused: Origin {origin} is not this node ({request.Scheme}://{request.Host})";
        var referer = request.Headers.Referer.ToString();
        if (referer.Length > 0)
            return IsThisNode(referer, request) ? null : $"cross-site request refused: the Referer is not a page of this node ({request.Scheme}://{request.Host})";
        return null;
    }

    private static bool IsThisNode(string url, HttpRequest request)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")) return false;
        var host = request.Host;
        var port = host.Port ?? (request.IsHttps ? 443 : 80);
        return uri.Scheme == request.Scheme && string.Equals(uri.IdnHost, host.Host.Trim('[', ']'), StringComparison.OrdinalIgnoreCase)
            && uri.Port == port;
    }

    /// <summary>The body of a JSON request, read up to <paramref name="max"/> bytes and no further, whether it came
    /// with a Content-Length or chunked; null when it is larger. The caller answers 400 and the rest is never read.</summary>
    public static async Task<byte[]?> ReadCappedAsync(HttpRequest request, int max, CancellationToken ct)
    {
        if (request.ContentLength > max) return null;
        using var body = new MemoryStream();
        var buffer = new byte[1 << 16];
        int n;
        try
        {
            while ((n = await request.Body.ReadAsync(buffer, ct)) > 0)
            {
                if (body.Length + n > max) return null;
                body.Write(buffer, 0, n);
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            // Kestrel counts a chunked body as it buffers ahead of these reads, so on a busy machine its own
            // whole-request limit can trip before this loop reaches max: the same refusal, said the same way.
            return null;
        }
        return body.ToArray();
    }

    /// <summary>A 415 for a body that should be JSON and says it is something else: a form or text/plain body is
    /// what another site's page can send without asking; the CLI and the newsroom send application/json.</summary>
    public static IResult? RequireJson(HttpRequest request, string what) => request.HasJsonContentType() ? null
        : Results.Json(new AdminApi.ErrorBody($"send {what} as Content-Type: application/json (got '{request.ContentType ?? "none"}')"),
            statusCode: StatusCodes.Status415UnsupportedMediaType);

    /// <summary>Checks a presented token in constant time.</summary>
    public static bool TokenMatches(string? given, string token) =>
        given is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(token));

    /// <summary>The login: a ticket signed and encrypted by Data Protection, naming nothing but "the operator".</summary>
    public static Task SignInAsync(HttpContext ctx) => ctx.SignInAsync(CookieScheme,
        new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, "operator")], CookieScheme)));

    public static void RaiseBodyLimit(HttpContext ctx, long max)
    {
        if (ctx.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = max;
    }
}
