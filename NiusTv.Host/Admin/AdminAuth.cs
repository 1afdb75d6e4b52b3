using System.Security.Claims;
using System.Text.Encodings.Web;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;

namespace NiusTv.Host.Admin;

/// <summary>Who may call the admin endpoint, in ASP.NET's own terms. With an admin token configured, every route
/// (API, metrics, health, newsroom pages and media; an unknown path too) falls under <see cref="Policy"/>: the caller
/// is the operator by the bearer token (the CLI, scripts, probes) or by the newsroom's login cookie, and a change sent
/// with the cookie also carries the page's antiforgery token. The login form and its static files are marked
/// <c>AllowAnonymous</c>. Without a token (a loopback endpoint) there is no policy and everything is open.</summary>
public static class AdminAuth
{
    /// <summary>The scheme that knows the operator: <see cref="AdminTokenHandler"/>.</summary>
    public const string Scheme = "nius-token";

    public const string Policy = "nius-operator";

    /// <summary>The identity's authentication type for a caller that sent the bearer token.</summary>
    public const string BearerType = "bearer";

    public static void AddAdminAuth(this IServiceCollection services, string? token, int failedTokenLimit, TimeSpan failedTokenWindow)
    {
        services.AddSingleton(new FailedTokenLimiter(failedTokenLimit, failedTokenWindow));
        services.AddAuthentication().AddScheme<AdminTokenOptions, AdminTokenHandler>(Scheme, o => o.Token = token);
        services.AddSingleton<IAuthorizationHandler, OwnPageHandler>();
        services.AddAuthorization(o =>
        {
            if (string.IsNullOrEmpty(token)) return;
            var policy = new AuthorizationPolicyBuilder(Scheme).RequireAuthenticatedUser().AddRequirements(new OwnPageRequirement()).Build();
            o.AddPolicy(Policy, policy);
            o.FallbackPolicy = policy;
        });
    }
}

public sealed class AdminTokenOptions : AuthenticationSchemeOptions
{
    /// <summary>The admin token (Node:AdminToken); null: nobody authenticates by header.</summary>
    public string? Token { get; set; }
}

/// <summary>The operator, by the <c>Authorization: Bearer TOKEN</c> header, or by the newsroom's login cookie (a
/// signed ticket that <see cref="AdminSurface.CookieScheme"/> reads). A client that has used up its wrong tries
/// (<see cref="FailedTokenLimiter"/>) is refused whatever it sends with a header, and only a wrong header that ends
/// in a refusal counts against it: a page opened before logging in is no guess.</summary>
public sealed class AdminTokenHandler(IOptionsMonitor<AdminTokenOptions> options, ILoggerFactory logger, UrlEncoder encoder, FailedTokenLimiter limiter)
    : AuthenticationHandler<AdminTokenOptions>(options, logger, encoder)
{
    private string Header => Request.Headers.Authorization.ToString();

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Header;
        if (header.Length > 0 && limiter.IsLockedOut(Context)) return AuthenticateResult.Fail("too many wrong admin tokens from this address");
        // No antiforgery token asked of the bearer token: another site's page cannot make a browser send an
        // Authorization header (that needs a CORS preflight this node never grants), and the CLI sends no cookie.
        if (Options.Token is { Length: > 0 } token && AdminSurface.TokenMatches(header, "Bearer " + token))
            return AuthenticateResult.Success(new AuthenticationTicket(
                new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, "operator")], AdminAuth.BearerType)), Scheme.Name));
        // A browser cannot add a bearer header to <video src> or EventSource: the newsroom's login gives it a signed
        // ticket in an HttpOnly cookie, accepted instead (and a change made with it must come from one of this node's
        // pages: OwnPageRequirement).
        var login = await Context.AuthenticateAsync(AdminSurface.CookieScheme);
        if (login.Succeeded) return AuthenticateResult.Success(new AuthenticationTicket(login.Principal, login.Properties, Scheme.Name));
        return header.Length > 0 ? AuthenticateResult.Fail("missing or wrong admin token") : AuthenticateResult.NoResult();
    }

    /// <summary>Not the operator: 429 once the client is over its wrong tries (this one counted), the login form for
    /// a person opening a page, else 401 with the sentence the CLI shows.</summary>
    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (Header.Length > 0 && (limiter.IsLockedOut(Context) || !limiter.CountFailure(Context)))
        {
            await limiter.TooManyAsync(Context);
            return;
        }
        if (Newsroom.NewsroomAuth.WantsLoginPage(Request))
        {
            Response.Redirect(Newsroom.NewsroomAuth.LoginPath);
            return;
        }
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        await Response.WriteAsJsonAsync(new AdminApi.ErrorBody("missing or wrong admin token"));
    }

    /// <summary>The operator by the login cookie, sending a change without the page's antiforgery token (the only
    /// requirement an authenticated caller can miss): 400, and what to do about it.</summary>
    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status400BadRequest;
        await Response.WriteAsJsonAsync(new AdminApi.ErrorBody(
            $"missing or wrong antiforgery token: a change made with the newsroom's login cookie must carry the page's token in the {AdminSurface.AntiforgeryHeader} header; reload the page"));
    }
}

/// <summary>A request let in by the login cookie proves it was sent by one of this node's own pages: a read needs no
/// proof; a change carries the page's antiforgery token in <see cref="AdminSurface.AntiforgeryHeader"/>. The browser
/// attaches the cookie to whatever it sends here, whichever site asked it to.</summary>
public sealed class OwnPageRequirement : IAuthorizationRequirement;

public sealed class OwnPageHandler(IAntiforgery antiforgery) : AuthorizationHandler<OwnPageRequirement, HttpContext>
{
    protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, OwnPageRequirement requirement, HttpContext http)
    {
        if (context.User.Identity is not { IsAuthenticated: true } identity) return;
        if (identity.AuthenticationType == AdminAuth.BearerType || await antiforgery.IsRequestValidAsync(http)) context.Succeed(requirement);
    }
}

/// <summary>Wrong tokens per client address, in fixed windows (System.Threading.RateLimiting). The partitioned limiter
/// runs a timer ten times a second for as long as it exists, so it is made at the first wrong token: a node nobody
/// sends a wrong token to wakes for nothing.</summary>
public sealed class FailedTokenLimiter(int perWindow, TimeSpan window) : IDisposable
{
    private readonly Lazy<PartitionedRateLimiter<string>> _limiter = new(() => PartitionedRateLimiter.Create<string, string>(client =>
        RateLimitPartition.GetFixedWindowLimiter(client, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = perWindow, Window = window, QueueLimit = 0, AutoReplenishment = true,
        })));

    /// <summary>Whether a wrong token has been counted yet (the limiter and its timer exist only from then on).</summary>
    public bool Counting => _limiter.IsValueCreated;

    public TimeSpan Window => window;

    public static string ClientOf(HttpContext ctx) => ctx.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    /// <summary>True while the client has used up its wrong tries: it is refused without its token being looked at.</summary>
    public bool IsLockedOut(HttpContext ctx) => Counting && _limiter.Value.GetStatistics(ClientOf(ctx)) is { CurrentAvailablePermits: <= 0 };

    /// <summary>Counts one wrong try; false once the client is over the limit.</summary>
    public bool CountFailure(HttpContext ctx)
    {
        using var lease = _limiter.Value.AttemptAcquire(ClientOf(ctx));
        return lease.IsAcquired;
    }

    public async Task TooManyAsync(HttpContext ctx)
    {
        ctx.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        ctx.Response.Headers.RetryAfter = ((int)window.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
        await ctx.Response.WriteAsJsonAsync(new AdminApi.ErrorBody(
            $"too many wrong admin tokens from this address; try again in {(int)window.TotalSeconds} s"));
    }

    public void Dispose()
    {
        if (Counting) _limiter.Value.Dispose();
    }
}
