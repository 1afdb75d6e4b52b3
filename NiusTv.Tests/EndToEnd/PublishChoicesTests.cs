using System.Net;
using System.Text;
using System.Text.Json;
using Xunit;

namespace NiusTv.Tests.EndToEnd;

/// <summary>A story naming a presenter or voice the node does not have is refused when it is published, naming the
/// choices, instead of failing at the landmarks or speech step later; nothing is stored.</summary>
[Collection("nius processes")]
[Trait("Speed", "Slow")]
public sealed class PublishChoicesTests : IAsyncDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nius-choices-").FullName;

    [Fact]
    public async Task An_unknown_presenter_or_voice_is_a_400_naming_the_field_and_the_choices_and_nothing_is_stored()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "assets"));
        await using var node = await NodeProcess.StartAsync(Path.Combine(_dir, "data"), Path.Combine(_dir, "out"), Path.Combine(_dir, "assets"));
        using var http = new HttpClient { BaseAddress = new Uri($"http://{node.Admin}/") };
        StringContent Story(string presenter, string voice) => new(JsonSerializer.Serialize(new
        {
            id = "choices", title = "Choices", paragraphs = new[] { "A short sentence." }, presenter, voice,
        }), Encoding.UTF8, "application/json");

        var response = await http.PostAsync("api/stories", Story("nobody", "bob"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, body);
        var errors = JsonDocument.Parse(body).RootElement.GetProperty("errors").EnumerateArray()
            .ToDictionary(e => e.GetProperty("field").GetString()!, e => e.GetProperty("message").GetString()!);
        Assert.StartsWith("'nobody' is not a presenter on this node; choose one of: 'default'", errors["presenter"]);
        Assert.StartsWith("'bob' is not a voice on this node; choose one of: 'default'", errors["voice"]);
        Assert.Contains("'festival'", errors["voice"]);
        Assert.Contains("'slt'", errors["voice"]);
        Assert.Contains("'kal'", errors["voice"]);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("api/stories/choices")).StatusCode);

        var ok = await http.PostAsync("api/stories", Story("default", "festival"));
        Assert.True(ok.StatusCode == HttpStatusCode.OK, await ok.Content.ReadAsStringAsync());
    }

    public ValueTask DisposeAsync()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
        return ValueTask.CompletedTask;
    }
}
