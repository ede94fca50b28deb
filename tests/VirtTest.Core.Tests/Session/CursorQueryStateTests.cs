using VirtTest.Core.Session;
using Xunit;

namespace VirtTest.Core.Tests.Session;

/// <summary>When a serial session may answer the guest's cursor position query (ESC[6n).</summary>
public sealed class CursorQueryStateTests
{
    [Fact]
    public void AQueryAfterTheArmedPositionIsAnsweredOnce()
    {
        var s = new CursorQueryState();
        Assert.False(s.Arm(100));
        Assert.True(s.Queried(112));       // the prompt, then the query
        Assert.True(s.TakeDueAnswer());
        Assert.False(s.TakeDueAnswer());   // one answer per query
        Assert.False(s.Queried(112));      // not armed any more
    }

    [Fact]
    public void AQueryThatArrivedBeforeTheCommandEndWasSeenIsAnsweredWhenArming()
    {
        var s = new CursorQueryState();
        Assert.False(s.Queried(112));      // read in the same chunk as the end marker, reported first
        Assert.True(s.Arm(100));
        Assert.True(s.TakeDueAnswer());
    }

    [Fact]
    public void AQueryFromBeforeTheArmedPositionIsNeverAnswered()
    {
        var s = new CursorQueryState();
        s.Queried(50);                     // the prompt before the command: its line may be unread
        Assert.False(s.Arm(100));
        Assert.False(s.TakeDueAnswer());
    }

    [Fact]
    public void WritingDisarms_SoAnAnswerCannotLandInACommandsInput()
    {
        var s = new CursorQueryState();
        s.Arm(100);
        s.Wrote();                         // the next command line went out first
        Assert.False(s.Queried(112));
        Assert.False(s.TakeDueAnswer());
    }

    [Fact]
    public async Task ACommandWaitsForTheAnswerOnlyOnceTheShellIsKnownToAsk()
    {
        var s = new CursorQueryState();
        s.Arm(10);
        Assert.Null(s.PendingAnswer());    // never seen asking: nothing to wait for

        s.Queried(20);
        s.TakeDueAnswer();
        s.Arm(100);
        var pending = s.PendingAnswer();
        Assert.NotNull(pending);
        Assert.False(pending!.IsCompleted);
        s.Queried(110);
        Assert.True(s.TakeDueAnswer());
        await pending.WaitAsync(TimeSpan.FromSeconds(5));

        s.Arm(200);
        s.StopExpecting();                 // the shell did not ask in time
        Assert.Null(s.PendingAnswer());
    }
}
