using Microsoft.AspNetCore.Antiforgery;
using NiusTv.Host.Admin;

namespace NiusTv.Host.Newsroom;

/// <summary>The newsroom's side of the admin token rule: a node bound beyond loopback demands the token, and a
/// browser proves it once through the login form, which gives it a signed ticket in an HttpOnly cookie.</summary>
public static class NewsroomAuth
{
    public const string CookieName = "nius_admin";
    public const string LoginPath = "/newsroom/login";

    /// <summary>A person opening a page gets the form; scripts and API callers keep getting a plain 401.</summary>
    public static bool WantsLoginPage(HttpRequest request) =>
        HttpMethods.IsGet(request.Method) && (request.Path == "/" || request.Path.StartsWithSegments("/newsroom"));

    public static void MapNewsroomLogin(this WebApplication app, string? token)
    {
        // The login form (and the static files it needs, NewsroomEndpoints) must be reachable without the token.
        app.MapGet(LoginPath, (HttpContext ctx, IAntiforgery antiforgery) => LoginPage(ctx, antiforgery, error: null)).AllowAnonymous();
        app.MapPost(LoginPath, async (HttpContext ctx, IAntiforgery antiforgery, FailedTokenLimiter limiter) =>
        {
            if (!ctx.Request.HasFormContentType) return LoginPage(ctx, antiforgery, "the login is a form post", 400);
            // The form carries an antiforgery token, so no other site can log a browser in (to an account it chose).
            try { await antiforgery.ValidateRequestAsync(ctx); }
            catch (AntiforgeryValidationException)
            {
                return LoginPage(ctx, antiforgery, "the login form had expired or came from another page; log in again", 400);
            }
            if (string.IsNullOrEmpty(token))
                return LoginPage(ctx, antiforgery, "this node has no admin token: the newsroom is open without logging in", 401);
            if (limiter.IsLockedOut(ctx)) return TooMany(limiter);
            var form = await ctx.Request.ReadFormAsync();
            if (!AdminSurface.TokenMatches(form["token"].ToString(), token))
                return limiter.CountFailure(ctx) ? LoginPage(ctx, antiforgery, "that is not this node's admin token", 401) : TooMany(limiter);
            // The cookie holds a ticket signed and encrypted with this node's Data Protection keys, not the token:
            // a stolen cookie expires and never reveals the secret the CLI and probes use.
            await AdminSurface.SignInAsync(ctx);
            return Results.Redirect("/newsroom");
        }).DisableAntiforgery() // validated above, with a page that says what went wrong instead of a bare 400
            .AllowAnonymous();
    }

    private static IResult TooMany(FailedTokenLimiter limiter) => NewsroomPages.Html(NewsroomPages.Login(
        $"too many wrong tokens from this address; try again in {(int)limiter.Window.TotalSeconds} s", null), 429);

    private static IResult LoginPage(HttpContext ctx, IAntiforgery antiforgery, string? error, int status = 200)
    {
        var tokens = antiforgery.GetAndStoreTokens(ctx);
        return NewsroomPages.Html(NewsroomPages.Login(error, (tokens.FormFieldName, tokens.RequestToken!)), status);
    }
}
