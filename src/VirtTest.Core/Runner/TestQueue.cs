using VirtTest.Core.Config;

namespace VirtTest.Core.Runner;

/// <summary>
/// Which test a free worker takes next: the first pending one whose dependencies (<c>dep</c>)
/// have passed and whose VMs fit in the host's memory and CPUs beside what the other workers
/// hold. A test whose dependency did not pass is skipped with that reason. Not thread-safe:
/// the run calls it under its lock.
/// </summary>
public sealed class TestQueue
{
    public abstract record Decision;
    /// <summary>Run this test (its resources are now reserved for the worker).</summary>
    public sealed record Run(int Index, VirtParams Params) : Decision;
    /// <summary>Record this test as skipped without running it.</summary>
    public sealed record Skip(int Index, VirtParams Params, string Reason) : Decision;
    /// <summary>Nothing fits now: wait until another test finishes.</summary>
    public sealed record Wait : Decision;
    /// <summary>No test is left for any worker.</summary>
    public sealed record Done : Decision;

    private readonly IReadOnlyList<VirtParams> _tests;
    private readonly HostCapacity _capacity;
    private readonly LinkedList<int> _pending;
    private readonly Dictionary<string, List<int>> _byName = new(StringComparer.Ordinal);
    private readonly Dictionary<int, TestStatus> _finished = new();
    private readonly HashSet<int> _running = new();
    private readonly Dictionary<int, (int MemoryMB, int Cpus)> _held = new();

    public TestQueue(IReadOnlyList<VirtParams> tests, HostCapacity capacity)
    {
        _tests = tests;
        _capacity = capacity;
        _pending = new LinkedList<int>(Enumerable.Range(0, tests.Count));
        for (var i = 0; i < tests.Count; i++)
        {
            if (!_byName.TryGetValue(tests[i].Name, out var list)) _byName[tests[i].Name] = list = new List<int>();
            list.Add(i);
        }
    }

    public int Pending => _pending.Count;
    public int Running => _running.Count;

    /// <summary>The next decision for <paramref name="worker"/>, which holds nothing of a running test.</summary>
    public Decision Next(int worker)
    {
        if (_pending.Count == 0) return new Done();
        var othersHold = _held.Where(h => h.Key != worker).Aggregate((MemoryMB: 0, Cpus: 0), (a, h) => (a.MemoryMB + h.Value.MemoryMB, a.Cpus + h.Value.Cpus));
        for (var node = _pending.First; node is not null; node = node.Next)
        {
            var index = node.Value;
            var test = _tests[index];
            var blocked = false;
            foreach (var dep in test.Dep)
            {
                if (!_byName.TryGetValue(dep, out var depIndexes)) continue; // not part of this run
                foreach (var d in depIndexes)
                {
                    if (d == index) continue;
                    if (_finished.TryGetValue(d, out var status))
                    {
                        if (status != TestStatus.Pass)
                        {
                            _pending.Remove(node);
                            _finished[index] = TestStatus.Skip;
                            return new Skip(index, test, $"dependency {_tests[d].ShortName} did not pass ({status.ToString().ToUpperInvariant()})");
                        }
                    }
                    else
                    {
                        blocked = true;
                    }
                }
            }
            if (blocked) continue;
            var need = TestEnv.Requirement(test);
            var fits = othersHold.MemoryMB + need.MemoryMB <= _capacity.MemoryMB && othersHold.Cpus + need.Cpus <= _capacity.Cpus;
            // A test bigger than the host still runs, alone, rather than never; VMs that idle
            // workers keep do not block it then (they would wait for each other forever).
            if (!fits && _running.Count > 0) continue;
            _pending.Remove(node);
            _running.Add(index);
            _held[worker] = need;
            return new Run(index, test);
        }
        if (_running.Count == 0)
        {
            // Nothing runs, so nothing will unblock the rest: their dependencies form a cycle
            // or come later in the matrix.
            var index = _pending.First!.Value;
            _pending.RemoveFirst();
            _finished[index] = TestStatus.Skip;
            return new Skip(index, _tests[index], "its dependencies can never run before it (a dependency cycle or order)");
        }
        return new Wait();
    }

    /// <summary>A test ended; the worker now holds what its env keeps running.</summary>
    public void Complete(int index, TestStatus status, int worker, (int MemoryMB, int Cpus) stillHeld)
    {
        _running.Remove(index);
        _finished[index] = status;
        _held[worker] = stillHeld;
    }

    /// <summary>The worker's env is gone (end of run).</summary>
    public void Release(int worker) => _held.Remove(worker);
}
