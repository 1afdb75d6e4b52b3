using System.Text.Json;
using System.Threading.Channels;
using Akka.Actor;
using NiusTv.Actors.Stories;
using NiusTv.Host.Node;

namespace NiusTv.Host.Newsroom;

/// <summary><c>GET /api/stories/events</c>: server-sent events, one per journaled story event on any node of the
/// cluster (<see cref="StoryChanges"/>). Each carries the story's id, revision, state and next step; a page fetches
/// the full view (with the live step fraction) when it wants more.</summary>
public static class StoryEventStream
{
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(15);

    public static void MapStoryEventStream(this WebApplication app)
    {
        app.MapGet("/api/stories/events", async (HttpContext ctx, ActorSystem system, IHostApplicationLifetime lifetime) =>
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted, lifetime.ApplicationStopping);
            // A slow browser must not hold the node's memory: it loses the oldest changes and catches up by fetching.
            var changes = Channel.CreateBounded<StoryChanged>(new BoundedChannelOptions(256) { FullMode = BoundedChannelFullMode.DropOldest });
            var listener = system.ActorOf(Props.Create(() => new Listener(changes.Writer)));
            // Subscribed here, not in the actor's PreStart (which runs later): the opening comment below promises the
            // client every change after it.
            system.EventStream.Subscribe(listener, typeof(StoryChanged));
            try
            {
                ctx.Response.Headers.ContentType = "text/event-stream";
                ctx.Response.Headers.CacheControl = "no-cache";
                await ctx.Response.WriteAsync(": stories\n\n", stop.Token);
                await ctx.Response.Body.FlushAsync(stop.Token);
                while (!stop.IsCancellationRequested)
                {
                    using var wait = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
                    wait.CancelAfter(Heartbeat);
                    string frame;
                    try
                    {
                        var change = await changes.Reader.ReadAsync(wait.Token);
                        frame = $"event: story\ndata: {JsonSerializer.Serialize(change, NodeHost.Json).ReplaceLineEndings("")}\n\n";
                    }
                    // A comment line keeps idle connections open through proxies that close silent ones.
                    catch (OperationCanceledException) when (!stop.IsCancellationRequested) { frame = ": ping\n\n"; }
                    await ctx.Response.WriteAsync(frame, stop.Token);
                    await ctx.Response.Body.FlushAsync(stop.Token);
                }
            }
            catch (OperationCanceledException) { }
            finally { system.Stop(listener); }
        });
    }

    private sealed class Listener : ReceiveActor
    {
        public Listener(ChannelWriter<StoryChanged> writer) => Receive<StoryChanged>(change => writer.TryWrite(change));

        protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);
    }
}
