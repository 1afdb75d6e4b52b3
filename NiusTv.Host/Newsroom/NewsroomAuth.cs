using System.Security.Cryptography;
using System.Text;

namespace NiusTv.Host.Newsroom;

/// <summary>The newsroom's side of the admin token rule: a node bound beyond loopback demands the token, and a
/// browser proves it once through the login form, which turns it into an HttpOnly cookie.</summary>
public static class NewsroomAuth
{
    public const string CookieName = "nius_admin";
    public const string LoginPath = "/newsroom/login";

    /// <summary>The login form and the files it needs must be reachable without the token.</summary>
    public static bool IsOpen(HttpRequest request) =>
        request.Path.Equals(LoginPath, StringComparison.Ordinal) || request.Path.StartsWithSegments("/newsroom/static");

    /// <summary>A person opening a page gets the form; scripts and API callers keep getting a plain 401.</summary>
    public static bool WantsLoginPage(HttpRequest request) =>
        HttpMethods.IsGet(request.Method) && (request.Path == "/" || request.Path.StartsWithSegments("/newsroom"));

    public static void MapNewsroomLogin(this WebApplication app, string? token)
    {
        app.MapGet(LoginPath, () => NewsroomPages.Html(NewsroomPages.Login(error: null)));
        app.MapPost(LoginPath, async (HttpContext ctx) =>
        {
            var form = await ctx.Request.ReadFormAsync();
            var given = form["token"].ToString();
            if (string.IsNullOrEmpty(token) || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(token)))
                return NewsroomPages.Html(NewsroomPages.Login(string.IsNullOrEmpty(token)
                    ? "this node has no admin token: the newsroom is open without logging in" : "that is not this node's admin token"), 401);
            ctx.Response.Cookies.Append(CookieName, given, new CookieOptions
            {
                HttpOnly = true, SameSite = SameSiteMode.Strict, Path = "/", Secure = ctx.Request.IsHttps,
            });
            return Results.Redirect("/newsroom");
        }).DisableAntiforgery();
    }
}
