using VirtTest.Core.Config;
using VirtTest.Core.Runner;
using Xunit;

namespace VirtTest.Core.Tests.Runner;

public class TestQueueTests
{
    private static VirtParams Test(string name, string? dep = null, int mem = 0)
    {
        var p = new VirtParams { ["name"] = name, ["shortname"] = name, ["dep"] = dep ?? "" };
        if (mem > 0)
        {
            p["vms"] = "vm1";
            p["start_vm"] = "yes";
            p["mem"] = mem.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        return p;
    }

    [Fact]
    public void Takes_tests_in_order_and_is_done_when_none_is_left()
    {
        var q = new TestQueue(new[] { Test("a"), Test("b") }, new HostCapacity(8192, 4));
        Assert.Equal(0, Assert.IsType<TestQueue.Run>(q.Next(1)).Index);
        Assert.Equal(1, Assert.IsType<TestQueue.Run>(q.Next(2)).Index);
        Assert.IsType<TestQueue.Done>(q.Next(1));
    }

    [Fact]
    public void A_dependent_test_waits_for_its_dependency_and_runs_after_it_passed()
    {
        var q = new TestQueue(new[] { Test("a"), Test("b", dep: "a") }, new HostCapacity(8192, 4));
        Assert.Equal(0, Assert.IsType<TestQueue.Run>(q.Next(1)).Index);
        Assert.IsType<TestQueue.Wait>(q.Next(2));
        q.Complete(0, TestStatus.Pass, 1, (0, 0));
        Assert.Equal(1, Assert.IsType<TestQueue.Run>(q.Next(2)).Index);
    }

    [Theory]
    [InlineData(TestStatus.Fail)]
    [InlineData(TestStatus.Error)]
    [InlineData(TestStatus.Skip)]
    public void A_test_whose_dependency_did_not_pass_is_skipped_with_that_reason(TestStatus dependencyStatus)
    {
        var q = new TestQueue(new[] { Test("a"), Test("b", dep: "a") }, new HostCapacity(8192, 4));
        q.Next(1);
        q.Complete(0, dependencyStatus, 1, (0, 0));
        var skip = Assert.IsType<TestQueue.Skip>(q.Next(1));
        Assert.Equal(1, skip.Index);
        Assert.Contains("dependency a", skip.Reason);
        Assert.Contains(dependencyStatus.ToString().ToUpperInvariant(), skip.Reason);
    }

    [Fact]
    public void A_dependency_outside_the_run_does_not_block()
    {
        var q = new TestQueue(new[] { Test("b", dep: "not.in.this.run") }, new HostCapacity(8192, 4));
        Assert.IsType<TestQueue.Run>(q.Next(1));
    }

    [Fact]
    public void Dependencies_that_can_never_run_first_are_skipped_instead_of_waiting_forever()
    {
        var q = new TestQueue(new[] { Test("a", dep: "b"), Test("b", dep: "a") }, new HostCapacity(8192, 4));
        var skip = Assert.IsType<TestQueue.Skip>(q.Next(1));
        Assert.Contains("never run", skip.Reason);
    }

    [Fact]
    public void A_test_waits_while_its_VMs_do_not_fit_beside_what_other_workers_hold()
    {
        var q = new TestQueue(new[] { Test("big1", mem: 3000), Test("big2", mem: 3000), Test("small", mem: 500) }, new HostCapacity(4000, 4));
        Assert.Equal(0, Assert.IsType<TestQueue.Run>(q.Next(1)).Index);
        // big2 does not fit beside big1; small does and overtakes it.
        Assert.Equal(2, Assert.IsType<TestQueue.Run>(q.Next(2)).Index);
        Assert.IsType<TestQueue.Wait>(q.Next(3));
        // Worker 1 finished and killed its VM: big2 fits now.
        q.Complete(0, TestStatus.Pass, 1, (0, 0));
        Assert.Equal(1, Assert.IsType<TestQueue.Run>(q.Next(1)).Index);
    }

    [Fact]
    public void VMs_a_worker_keeps_running_between_tests_count_against_the_host()
    {
        var q = new TestQueue(new[] { Test("a", mem: 3000), Test("small", mem: 500), Test("b", mem: 3000) }, new HostCapacity(4000, 4));
        q.Next(1);
        q.Complete(0, TestStatus.Pass, 1, (3000, 1)); // worker 1 keeps its VM for its next test
        Assert.Equal(1, Assert.IsType<TestQueue.Run>(q.Next(3)).Index);
        Assert.IsType<TestQueue.Wait>(q.Next(2)); // b does not fit beside worker 1's VM and small
        Assert.Equal(2, Assert.IsType<TestQueue.Run>(q.Next(1)).Index); // but worker 1 may reuse its own
    }

    [Fact]
    public void A_test_bigger_than_the_host_runs_alone_rather_than_never()
    {
        var q = new TestQueue(new[] { Test("huge", mem: 100_000) }, new HostCapacity(4000, 2));
        Assert.IsType<TestQueue.Run>(q.Next(1));
    }
}
