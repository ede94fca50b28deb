using System.Globalization;
using System.Xml.Linq;

namespace VirtTest.Core.Runner;

/// <summary>The run as JUnit XML (one testsuite, one testcase per test), the format CI servers read.</summary>
public static class JUnitReport
{
    public static XDocument Build(RunInfo run, IReadOnlyList<TestResult> tests)
    {
        var summary = RunSummary.From("", run, tests);
        var suite = new XElement("testsuite",
            new XAttribute("name", "VirtTest " + run.Id),
            new XAttribute("tests", tests.Count),
            new XAttribute("failures", summary.Failed),
            new XAttribute("errors", summary.Errors + summary.Cancelled),
            new XAttribute("skipped", summary.Skipped),
            new XAttribute("time", Seconds(summary.Duration.TotalSeconds)),
            new XAttribute("timestamp", run.Start.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture)),
            new XAttribute("hostname", run.Host));
        foreach (var t in tests.OrderBy(t => t.Index))
        {
            var dot = t.ShortName.LastIndexOf('.');
            var testcase = new XElement("testcase",
                new XAttribute("classname", dot > 0 ? "virttest." + t.ShortName[..dot] : "virttest"),
                new XAttribute("name", t.ShortName),
                new XAttribute("time", Seconds(t.Duration)));
            switch (t.Status)
            {
                case TestStatus.Fail:
                    testcase.Add(new XElement("failure", new XAttribute("message", t.Reason), new XAttribute("type", "FAIL"), t.Reason));
                    break;
                case TestStatus.Error:
                case TestStatus.Cancel:
                    testcase.Add(new XElement("error", new XAttribute("message", t.Reason), new XAttribute("type", t.Status.ToString().ToUpperInvariant()), t.Reason));
                    break;
                case TestStatus.Skip:
                    testcase.Add(new XElement("skipped", new XAttribute("message", t.Reason)));
                    break;
            }
            if (t.Cluster is { } cluster)
            {
                // Where a cluster run ran it (pytest's record_property form, which CI servers show).
                var properties = new XElement("properties",
                    Property("node", cluster.Node), Property("slurm_job", cluster.Job), Property("attempt", cluster.Attempt.ToString(CultureInfo.InvariantCulture)));
                foreach (var earlier in cluster.EarlierAttempts) properties.Add(Property("earlier_attempt", earlier.ToString()));
                testcase.Add(properties);
            }
            var output = new List<string>();
            if (t.Node is { Length: > 0 } node) output.Add("node: " + node);
            if (t.Logs.Count > 0) output.Add("logs: " + string.Join(", ", t.Logs));
            if (output.Count > 0) testcase.Add(new XElement("system-out", string.Join("\n", output)));
            suite.Add(testcase);
        }
        return new XDocument(new XDeclaration("1.0", "utf-8", null), new XElement("testsuites", suite));
    }

    private static XElement Property(string name, string value) => new("property", new XAttribute("name", name), new XAttribute("value", value));

    private static string Seconds(double s) => s.ToString("0.###", CultureInfo.InvariantCulture);
}
