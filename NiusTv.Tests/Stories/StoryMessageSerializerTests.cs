using Akka.Actor;
using NiusTv.Actors.Stories;
using Xunit;

namespace NiusTv.Tests.Stories;

public sealed class StoryMessageSerializerTests : IDisposable
{
    private readonly ActorSystem _system = ActorSystem.Create("message-serializer-tests");

    public static TheoryData<object> Messages() =>
    [
        new StoryCommands.CleanWorkspace("moved-news", "10.0.0.9:4053"),
        new StoryCommands.CleanWorkspace("old-news"),
        new StoryCommands.WorkspaceLivesElsewhere("moved-news", "10.0.0.7:4053"),
        new StoryCommands.Retry("a", "compose", "operator"),
    ];

    [Theory]
    [MemberData(nameof(Messages))]
    public void A_janitors_question_and_the_answer_from_another_node_cross_the_wire_unchanged(object message)
    {
        var serializer = new StoryMessageSerializer((ExtendedActorSystem)_system);
        var back = serializer.FromBinary(serializer.ToBinary(message), serializer.Manifest(message));
        Assert.Equal(message, back);
    }

    public void Dispose() => _system.Terminate().Wait(TimeSpan.FromSeconds(10));
}
