using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace VirtTest.Core.Runner.Cluster;

/// <summary>What Slurm says about one job: its state, where it runs and how often it was restarted.</summary>
public sealed record SlurmJobInfo
{
    public required string JobId { get; init; }
    /// <summary>PENDING, RUNNING, COMPLETING, COMPLETED, FAILED, CANCELLED, TIMEOUT, NODE_FAIL, ...</summary>
    public required string State { get; init; }
    /// <summary>Why it is in that state (None, Resources, Dependency, BeginTime, NodeDown, ...).</summary>
    public string Reason { get; init; } = "";
    /// <summary>Its nodes as a Slurm host list (n[1-2]), empty while pending.</summary>
    public string Nodes { get; init; } = "";
    /// <summary>The node running the batch script (the first of its nodes).</summary>
    public string BatchHost { get; init; } = "";
    /// <summary>How many times Slurm requeued it (SLURM_RESTART_COUNT of the current attempt).</summary>
    public int Restarts { get; init; }
    /// <summary>The batch script's exit code, or null when it did not exit (killed by a signal, still running).</summary>
    public int? ExitCode { get; init; }
    public int? Signal { get; init; }
    public DateTimeOffset? SubmitTime { get; init; }
    public DateTimeOffset? StartTime { get; init; }
    public DateTimeOffset? EndTime { get; init; }

    private static readonly HashSet<string> FinalStates = new(StringComparer.Ordinal)
    {
        "COMPLETED", "CANCELLED", "FAILED", "TIMEOUT", "NODE_FAIL", "PREEMPTED", "BOOT_FAIL", "DEADLINE", "OUT_OF_MEMORY", "REVOKED", "SPECIAL_EXIT",
    };

    /// <summary>The job is over and all its processes are gone (COMPLETING is not: they are being killed).</summary>
    public bool IsFinal => FinalStates.Contains(State);
    public bool IsRunning => State is "RUNNING" or "COMPLETING" or "CONFIGURING" or "SIGNALING" or "STAGE_OUT";
    public bool IsPending => State is "PENDING" or "REQUEUED" or "REQUEUE_FED" or "REQUEUE_HOLD" or "SUSPENDED" or "RESIZING";

    /// <summary>The jobs of a <c>squeue --json</c> answer (every job the controller still holds).</summary>
    public static IReadOnlyList<SlurmJobInfo> ParseSqueueJson(string json)
    {
        using var doc = SlurmJson.Parse(json, "squeue --json");
        if (!doc.RootElement.TryGetProperty("jobs", out var jobs) || jobs.ValueKind != JsonValueKind.Array) return Array.Empty<SlurmJobInfo>();
        var list = new List<SlurmJobInfo>();
        foreach (var j in jobs.EnumerateArray())
        {
            if (SlurmJson.Number(j, "job_id") is not { } id) continue;
            int? exitCode = null, signal = null;
            if (j.TryGetProperty("exit_code", out var ec))
            {
                if (ec.ValueKind == JsonValueKind.Number && ec.TryGetInt32(out var raw))
                {
                    // 22.05: the raw wait status (768 = exit 3; 9 = killed by SIGKILL).
                    if ((raw & 0x7f) == 0) exitCode = (raw >> 8) & 0xff;
                    else signal = raw & 0x7f;
                }
                else if (ec.ValueKind == JsonValueKind.Object)
                {
                    exitCode = (int?)SlurmJson.Number(ec, "return_code");
                    if (ec.TryGetProperty("signal", out var sig) && SlurmJson.Number(sig, "id") is { } s && s > 0) signal = (int)s;
                }
            }
            list.Add(new SlurmJobInfo
            {
                JobId = id.ToString(CultureInfo.InvariantCulture),
                State = SlurmJson.String(j, "job_state") ?? "UNKNOWN",
                Reason = SlurmJson.String(j, "state_reason") ?? "",
                Nodes = SlurmJson.String(j, "nodes") ?? "",
                BatchHost = SlurmJson.String(j, "batch_host") ?? "",
                Restarts = (int)(SlurmJson.Number(j, "restart_cnt") ?? 0),
                ExitCode = exitCode,
                Signal = signal,
                SubmitTime = SlurmJson.Time(j, "submit_time"),
                StartTime = SlurmJson.Time(j, "start_time"),
                EndTime = SlurmJson.Time(j, "end_time"),
            });
        }
        return list;
    }

    private static readonly Regex Field = new(@"(?:^|\s)(\w+)=(\S*)", RegexOptions.CultureInvariant);

    /// <summary>One job from <c>scontrol --oneliner show job</c> (key=value fields), or null when it names none.</summary>
    public static SlurmJobInfo? ParseScontrol(string text)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match m in Field.Matches(text)) fields.TryAdd(m.Groups[1].Value, m.Groups[2].Value);
        if (!fields.TryGetValue("JobId", out var id)) return null;
        int? exitCode = null, signal = null;
        if (fields.TryGetValue("ExitCode", out var ec) && ec.Split(':') is [var code, var sig])
        {
            if (int.TryParse(sig, NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) && s > 0) signal = s;
            else if (int.TryParse(code, NumberStyles.Integer, CultureInfo.InvariantCulture, out var c)) exitCode = c;
        }
        return new SlurmJobInfo
        {
            JobId = id,
            State = fields.GetValueOrDefault("JobState", "UNKNOWN"),
            Reason = fields.GetValueOrDefault("Reason", ""),
            Nodes = fields.GetValueOrDefault("NodeList", "") is var n && n != "(null)" ? n : "",
            BatchHost = fields.GetValueOrDefault("BatchHost", ""),
            Restarts = int.TryParse(fields.GetValueOrDefault("Restarts", "0"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var r) ? r : 0,
            ExitCode = exitCode,
            Signal = signal,
            SubmitTime = Time(fields.GetValueOrDefault("SubmitTime")),
            StartTime = Time(fields.GetValueOrDefault("StartTime")),
            EndTime = Time(fields.GetValueOrDefault("EndTime")),
        };
    }

    private static DateTimeOffset? Time(string? value) =>
        DateTime.TryParseExact(value, "yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.AssumeLocal, out var t) ? new DateTimeOffset(t) : null;

    public override string ToString() => $"job {JobId} {State}" + (Reason is { Length: > 0 } and not "None" ? $" ({Reason})" : "") + (Nodes.Length > 0 ? $" on {Nodes}" : "");
}
