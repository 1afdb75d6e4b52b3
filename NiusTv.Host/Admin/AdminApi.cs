using System.Text.Json;
using NiusTv.Actors.Scaling;
using Akka.Actor;
using Akka.Cluster;
using Akka.Hosting;
using NiusTv.Actors.Ingest;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using NiusTv.Actors.Admission;
using NiusTv.Actors.Stories;
using NiusTv.Host.Node;
using NiusTv.Steps.Stories;
using Prometheus;

namespace NiusTv.Host.Admin;

/// <summary>The node's admin endpoint: what `nius publish`, `nius stories` and `nius story` talk to. JSON in and
/// out; a rejected story gets 400 with every error naming its field, and nothing is persisted for it.</summary>
public static class AdminApi
{
    public const int MaxStoryBytes = 1 << 20;
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(30);

    public sealed record ErrorBody(string Error, IReadOnlyList<StoryError>? Errors = null);

    private static (string? Word, string? Spelling) WordAndSpelling(byte[] body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            string? Str(string name) => doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty(name, out var v)
                && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            return (Str("word"), Str("pronunciation"));
        }
        catch (JsonException) { return (null, null); }
    }

    /// <summary>One newsroom dictionary entry as the API and <c>nius pronunciations --json</c> show it: the phones are
    /// what a respelling turned into, for the editor to confirm.</summary>
    public sealed record PronunciationView(string Word, string Key, string Pronunciation, IReadOnlyList<string> Phones)
    {
        public static IReadOnlyList<PronunciationView> Of(NiusTv.Steps.Phonemes.PronunciationSet set) =>
            set.Entries.Select(e => new PronunciationView(e.Word, e.Key, e.Spelling, e.Phones)).ToList();
    }

    /// <summary>What <c>GET /api/node</c> answers: this node's address and membership status, and its folders.</summary>
    public sealed record NodeView(string Address, string Status, IReadOnlyCollection<string> Roles, string Data, string Assets, string Out);

    /// <summary>The routes. Who may call them is decided before any of them runs (<see cref="AdminAuth"/>).</summary>
    public static void MapAdminApi(this WebApplication app)
    {
        var api = app.MapGroup("/api");

        api.MapGet("/node", (ActorSystem system, NodeSettings settings) =>
        {
            var cluster = Cluster.Get(system);
            return Results.Ok(new NodeView(cluster.SelfAddress.ToString(), cluster.SelfMember.Status.ToString().ToLowerInvariant(),
                cluster.SelfRoles, settings.DataPath, settings.AssetsLocation, settings.OutLocation));
        });

        // Every render slot of the cluster as this node's DistributedData replica last heard it.
        api.MapGet("/gpu", async (ActorSystem system) =>
            Results.Ok(await GpuAdmissionHosting.ClusterSlotsAsync(system, TimeSpan.FromSeconds(3))));

        // The scaler singleton's view, wherever it runs: its decisions with their reasons, newest last.
        api.MapGet("/scaler", async (ActorRegistry registry, ActorSystem system, CancellationToken ct) =>
        {
            if (!Cluster.Get(system).State.Members.Any(m => m.Status == MemberStatus.Up && m.HasRole(ScalerActor.Role)))
                return Results.Problem($"no node of this cluster has the {ScalerActor.Role} role, so nothing scales it " +
                    $"(start a node with --roles worker,{ScalerActor.Role} or Node:Roles)", statusCode: 404);
            var scaler = await registry.GetAsync<ScalerActor>(ct);
            return Results.Ok(ScalerReport.From(await scaler.Ask<ScalerProtocol.ScalingView>(new ScalerProtocol.GetScalingView(), AskTimeout, ct)));
        });

        api.MapPost("/stories", async (HttpRequest request, IRequiredActor<StoryActor> region, ActorRegistry registry, StoryChoices choices, CancellationToken ct) =>
        {
            if (AdminSurface.RequireJson(request, "the story") is { } wrongType) return wrongType;
            // Counted while it arrives: a chunked body has no Content-Length to refuse it by up front.
            if (await AdminSurface.ReadCappedAsync(request, MaxStoryBytes, ct) is not { } body)
                return Results.BadRequest(new ErrorBody($"the story is larger than {MaxStoryBytes} bytes"));
            var parsed = StoryParser.Parse(body);
            if (!parsed.IsValid)
                return Results.BadRequest(new ErrorBody("the story is not valid: " + string.Join("; ", parsed.Errors), parsed.Errors));
            if (choices.Check(parsed.Story!) is { Count: > 0 } refused)
                return Results.BadRequest(new ErrorBody("the story is not valid here: " + string.Join("; ", refused), refused));
            return await PublishAsync(parsed.Story!, region.ActorRef, registry, ct);
        });

        // The voices this node speaks with; a story's "voice" (or its presenter's) picks one by name.
        api.MapGet("/voices", (NiusTv.Steps.Speech.SpeechStep speech) => Results.Ok(speech.Voices));

        // The newsroom-wide pronunciation dictionary (<data>/pronunciations.json): every story says these words so,
        // unless its own "pronunciations" say otherwise.
        api.MapGet("/pronunciations", (NiusTv.Steps.Phonemes.PronunciationDictionary dictionary) =>
        {
            try { return Results.Ok(PronunciationView.Of(dictionary.Load())); }
            catch (InvalidDataException e) { return Results.Problem(e.Message, statusCode: 500); }
        });

        api.MapPut("/pronunciations/{word}", async (string word, HttpRequest request, NiusTv.Steps.Phonemes.PronunciationDictionary dictionary, CancellationToken ct) =>
        {
            if (AdminSurface.RequireJson(request, "the pronunciation") is { } wrongType) return wrongType;
            if (await AdminSurface.ReadCappedAsync(request, 4096, ct) is not { } body)
                return Results.BadRequest(new ErrorBody("the pronunciation is larger than 4096 bytes"));
            string? spelling;
            try
            {
                using var doc = JsonDocument.Parse(body);
                spelling = doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("pronunciation", out var p)
                    && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
            }
            catch (JsonException e) { return Results.BadRequest(new ErrorBody($"the body is not JSON: {e.Message}")); }
            if (spelling is null)
                return Results.BadRequest(new ErrorBody("expected {\"pronunciation\": \"R UW IY S\"} (CMU phones or a respelling such as \"roo-EES\")"));
            try
            {
                if (dictionary.Set(word, spelling) is { Count: > 0 } errors)
                    return Results.BadRequest(new ErrorBody("the pronunciation is not valid: " + string.Join("; ", errors), errors));
                return Results.Ok(PronunciationView.Of(dictionary.Load()).First(e => e.Key == NiusTv.Steps.Phonemes.PronunciationSet.KeyOf(word)));
            }
            catch (InvalidDataException e) { return Results.Problem(e.Message, statusCode: 500); }
        });

        api.MapDelete("/pronunciations/{word}", (string word, NiusTv.Steps.Phonemes.PronunciationDictionary dictionary) =>
        {
            try
            {
                return dictionary.Remove(word) ? Results.NoContent() : Results.NotFound(new ErrorBody($"the newsroom dictionary has no '{word}'"));
            }
            catch (InvalidDataException e) { return Results.Problem(e.Message, statusCode: 500); }
        });

        // The newsroom's pronunciation panel: what a spelling turns into, how it sounds, which words need a look.
        api.MapPost("/pronunciations/preview", async (HttpRequest request, CancellationToken ct) =>
        {
            if (AdminSurface.RequireJson(request, "the pronunciation") is { } wrongType) return wrongType;
            if (await AdminSurface.ReadCappedAsync(request, 4096, ct) is not { } body) return Results.BadRequest(new ErrorBody("the request is larger than 4096 bytes"));
            var (word, spelling) = WordAndSpelling(body);
            var (set, errors) = NiusTv.Steps.Phonemes.PronunciationSet.Parse([new(word ?? "", spelling ?? "")], "pronunciations");
            return errors.Count > 0 ? Results.BadRequest(new ErrorBody("the pronunciation is not valid: " + string.Join("; ", errors), errors))
                : Results.Ok(PronunciationView.Of(set)[0]);
        });

        api.MapGet("/speak", async (string word, string? pronunciation, string? voice, string? presenter, NiusTv.Steps.Speech.SpeechStep speech, CancellationToken ct) =>
        {
            if (NiusTv.Steps.Phonemes.PronunciationSet.WordProblem(word) is { } problem) return Results.BadRequest(new ErrorBody($"word: {problem}"));
            var entries = NiusTv.Steps.Phonemes.PronunciationSet.Empty;
            if (!string.IsNullOrWhiteSpace(pronunciation))
            {
                var (set, errors) = NiusTv.Steps.Phonemes.PronunciationSet.Parse([new(word, pronunciation)], "pronunciations");
                if (errors.Count > 0) return Results.BadRequest(new ErrorBody("the pronunciation is not valid: " + string.Join("; ", errors), errors));
                entries = set;
            }
            var dir = Directory.CreateTempSubdirectory("nius-speak-");
            try
            {
                var wav = Path.Combine(dir.FullName, "word.wav");
                try { await speech.SpeakAsync(word, voice, presenter, entries, wav, ct); }
                catch (NiusTv.Steps.StepFailure e) { return Results.BadRequest(new ErrorBody(e.Message)); }
                return Results.File(await File.ReadAllBytesAsync(wav, ct), "audio/wav");
            }
            finally { try { dir.Delete(true); } catch (IOException) { } }
        });

        api.MapPost("/pronunciations/unusual", async (HttpRequest request, NiusTv.Steps.Phonemes.IPronouncer pronouncer, NiusTv.Steps.Speech.SpeechStep speech, CancellationToken ct) =>
        {
            if (AdminSurface.RequireJson(request, "the paragraphs") is { } wrongType) return wrongType;
            if (await AdminSurface.ReadCappedAsync(request, MaxStoryBytes, ct) is not { } body) return Results.BadRequest(new ErrorBody($"the request is larger than {MaxStoryBytes} bytes"));
            List<string> paragraphs;
            try
            {
                using var doc = JsonDocument.Parse(body);
                paragraphs = doc.RootElement.TryGetProperty("paragraphs", out var ps) && ps.ValueKind == JsonValueKind.Array
                    ? ps.EnumerateArray().Where(p => p.ValueKind == JsonValueKind.String).Select(p => p.GetString()!).ToList() : [];
            }
            catch (JsonException e) { return Results.BadRequest(new ErrorBody($"the body is not JSON: {e.Message}")); }
            // The words as they are spoken (numbers and abbreviations expanded), each once; those neither the lexicon nor
            // the CMU dictionary has are guessed by the g2p model, and those are the ones an editor should hear.
            var words = paragraphs.Select(NiusTv.Steps.Speech.Normalization.TextNormalizer.Normalize).Select(NiusTv.Steps.Speech.SpeechText.ToAscii)
                .SelectMany(NiusTv.Steps.Phonemes.ScriptWords.Split).Where(w => w.Any(char.IsLetter)).Distinct().Take(2000).ToList();
            var unusual = words.Select(pronouncer.Pronounce).Where(p => p.Source == NiusTv.Steps.Phonemes.PronunciationSource.Model)
                .Select(p => new { word = p.Word, phones = p.Phones, source = "model" }).ToList();
            return Results.Ok(unusual);
        });

        // Newest first. With `limit`, one page: the next page's cursor comes in X-Next-Cursor (and a Link header),
        // so the body stays the plain array that scripts already read.
        api.MapGet("/stories", async (HttpContext ctx, StoryCatalog catalog, string? state, DateTimeOffset? since, int? limit, string? cursor, CancellationToken ct) =>
        {
            if (limit is < 1 or > MaxPage) return Results.BadRequest(new ErrorBody($"limit must be between 1 and {MaxPage}, not {limit}"));
            var stories = (await catalog.ListAsync(ct)).Select(StorySummary.From)
                .Where(s => state is null || s.State == state)
                .Where(s => since is null || s.AcceptedAt >= since)
                .ToList();
            StoryPages.Page<StorySummary> page;
            try { page = StoryPages.Take(stories, s => (s.AcceptedAt, s.Id), limit, cursor); }
            catch (FormatException e) { return Results.BadRequest(new ErrorBody(e.Message)); }
            if (page.NextCursor is { } next)
            {
                ctx.Response.Headers["X-Next-Cursor"] = next;
                var query = ctx.Request.Query.Where(q => q.Key != "cursor").Select(q => $"{q.Key}={Uri.EscapeDataString(q.Value.ToString())}")
                    .Append("cursor=" + next);
                ctx.Response.Headers.Link = $"</api/stories?{string.Join('&', query)}>; rel=\"next\"";
            }
            return Results.Ok(page.Items);
        });

        api.MapGet("/stories/{id}", async (string id, IRequiredActor<StoryActor> region, CancellationToken ct) =>
        {
            if (!StoryParser.IsValidId(id)) return Results.NotFound(new ErrorBody($"'{id}' is not a story id"));
            var reply = await region.ActorRef.Ask<object>(new StoryQueries.GetStory(id), AskTimeout, ct);
            return reply is StoryView view ? Results.Ok(view) : Results.NotFound(new ErrorBody($"no story '{id}'"));
        });

        api.MapGet("/stories/{id}/events", async (string id, StoryCatalog catalog, CancellationToken ct) =>
        {
            if (!StoryParser.IsValidId(id)) return Results.NotFound(new ErrorBody($"'{id}' is not a story id"));
            var events = await catalog.EventsAsync(id, ct);
            return events.Count == 0 ? Results.NotFound(new ErrorBody($"no story '{id}'"))
                : Results.Ok(events.Select(e => new { type = e.GetType().Name, e.Revision, e.At, data = (object)e }));
        });

        api.MapPost("/stories/{id}/cancel", async (string id, IRequiredActor<StoryActor> region, CancellationToken ct) =>
        {
            if (!StoryParser.IsValidId(id)) return Results.NotFound(new ErrorBody($"'{id}' is not a story id"));
            var reply = await region.ActorRef.Ask<StoryCommands.CancelResult>(new StoryCommands.Cancel(id, "cancelled by an operator"), AskTimeout, ct);
            return Results.Ok(reply);
        });

        api.MapGet("/ingest", async (ActorRegistry registry, CancellationToken ct) =>
        {
            if (!registry.TryGet<IngestActor>(out var ingest))
                return Results.NotFound(new ErrorBody("this node does not ingest from Pub/Sub (start it with --pubsub PROJECT)"));
            return Results.Ok(await ingest.Ask<IngestStats>(IngestQueries.GetIngestStats.Instance, AskTimeout, ct));
        });

        api.MapPost("/stories/{id}/retry", async (string id, string? from, IRequiredActor<StoryActor> region, CancellationToken ct) =>
        {
            if (!StoryParser.IsValidId(id)) return Results.NotFound(new ErrorBody($"'{id}' is not a story id"));
            var reply = await region.ActorRef.Ask<StoryCommands.RetryResult>(
                new StoryCommands.Retry(id, string.IsNullOrEmpty(from) ? null : from, "retried by an operator"), AskTimeout, ct);
            if (reply.Retried) return Results.Ok(reply);
            return reply.Revision == 0 ? Results.NotFound(new ErrorBody(reply.Error!)) : Results.BadRequest(new ErrorBody(reply.Error!));
        });

        api.MapOperatorApi();
        app.MapMetrics("/metrics"); // behind the token too: metrics name stories and nodes

        app.MapGet("/healthz", () => Results.Ok(new { status = "ok" }));
        // Probes: liveness is the actor system alone (restart the pod only if it is gone); readiness adds cluster
        // membership and the journal (route no work to a node that cannot take it).
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = r => r.Tags.Contains(NodeHost.LiveTag) });
        app.MapHealthChecks("/health/ready", NodeHealth.ReadyOptions);
    }

    /// <summary>Hands a valid story to its StoryActor and answers truthfully: accepted (with its revision), or a 503
    /// naming the cause when the node's journal cannot write. A journal known to be down refuses before anything is
    /// sent, and a publish carries the moment its sender stops waiting, so a refused story is never applied later.</summary>
    public static async Task<IResult> PublishAsync(Story story, IActorRef region, ActorRegistry registry, CancellationToken ct)
    {
        if (await NodeHealth.JournalStatusAsync(registry, ct) is { Writable: false } down)
            return Unavailable($"story {story.Id} was not accepted: this node's journal cannot write ({down.Problem}); nothing was stored, publish it again later");
        try
        {
            var deadline = DateTimeOffset.UtcNow + PublishTimeout;
            return Results.Ok(await region.Ask<StoryCommands.PublishResult>(new StoryCommands.Publish(story, deadline), PublishTimeout, ct));
        }
        catch (JournalUnavailableException e)
        {
            return Unavailable($"story {story.Id} was not accepted: {e.Message}; nothing was stored, publish it again later");
        }
        catch (AskTimeoutException)
        {
            // The story refuses the publish if it arrives after the deadline, so "not accepted" stays true. Why it
            // got no answer is worth a write to find out: a journal that cannot write also stops the shard that
            // starts a new story, before the story itself could say so.
            var why = await NodeHealth.ProbeJournalAsync(registry, ct) is { Writable: false } probed
                ? $"this node's journal cannot write ({probed.Problem})"
                : "the node was too busy to confirm it";
            return Unavailable($"story {story.Id} was not accepted within {PublishTimeout.TotalSeconds:0} s and will not be: {why}; publish it again");
        }
    }

    private static readonly TimeSpan PublishTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The most stories one page of <c>/api/stories</c> holds.</summary>
    public const int MaxPage = 1000;

    private static IResult Unavailable(string why) => Results.Json(new ErrorBody(why), statusCode: StatusCodes.Status503ServiceUnavailable);
}
