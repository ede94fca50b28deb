using System.Globalization;
using System.Net;
using System.Text;

namespace VirtTest.Core.Runner;

/// <summary>
/// A self-contained HTML report of a results folder: a summary bar, a table sortable by any
/// column (status, duration, ...), each non-passing test's reason in one line, the steps
/// each test named (the one it failed in marked), its
/// screenshots embedded as images, links to its console and debug logs (relative, so the
/// folder can be moved). No external scripts, styles or fonts.
/// </summary>
public static class HtmlReport
{
    /// <summary>Screenshots larger than this are linked, not embedded.</summary>
    private const long MaxEmbeddedBytes = 4 * 1024 * 1024;

    private static readonly (TestStatus Status, string Color)[] Colors =
    {
        (TestStatus.Pass, "#2e9d4a"), (TestStatus.Fail, "#d23b3b"), (TestStatus.Error, "#9b2fae"),
        (TestStatus.Skip, "#9aa1a9"), (TestStatus.Cancel, "#e39a1c"),
    };

    public static string Build(ResultsFolder folder)
    {
        var run = folder.Run;
        var tests = folder.Tests;
        var summary = folder.Summary();
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>VirtTest run ").Append(E(run.Id)).Append("</title>\n<style>\n")
          .Append("body{font-family:sans-serif;margin:24px;color:#222;background:#fff}h1{font-size:22px;margin:0 0 4px}")
          .Append(".meta{color:#555;margin-bottom:12px}.bar{display:flex;height:28px;border-radius:4px;overflow:hidden;margin:12px 0;background:#eee}")
          .Append(".bar div{color:#fff;font-weight:bold;text-align:center;line-height:28px;white-space:nowrap;overflow:hidden}")
          .Append("table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ddd;padding:6px 8px;text-align:left;vertical-align:top}")
          .Append("th{cursor:pointer;background:#f3f4f6;user-select:none;white-space:nowrap}th:after{content:' \\2195';color:#999}")
          .Append(".status{font-weight:bold;color:#fff;border-radius:3px;padding:2px 6px}.reason{max-width:60ch;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}")
          .Append("img.shot{max-width:240px;max-height:180px;border:1px solid #ccc;margin:2px}.num{text-align:right}")
          .Append(".node .job,.node .earlier{color:#666;font-size:12px}.node .earlier{max-width:40ch}")
          .Append("ol.steps{margin:0;padding-left:20px;font-size:90%}ol.steps li.failed{color:#d23b3b;font-weight:bold}")
          .Append("\n</style></head><body>\n");
        sb.Append("<h1>VirtTest run ").Append(E(run.Id)).Append(" &mdash; ").Append(E(summary.Verdict)).Append("</h1>\n");
        var cluster = run.Scheduler is not null || tests.Any(t => t.Node is not null);
        sb.Append("<div class=\"meta\">").Append(E(summary.ToString())).Append(" &middot; ");
        if (cluster)
        {
            var nodes = tests.Select(t => t.Node).OfType<string>().Distinct().Order(StringComparer.Ordinal).ToList();
            sb.Append("Slurm partition ").Append(E(run.Partition ?? "?")).Append(", submitted from ").Append(E(run.Host))
              .Append(", nodes ").Append(E(nodes.Count > 0 ? string.Join(", ", nodes) : "none"));
        }
        else
        {
            sb.Append(run.Jobs).Append(" worker(s) on ").Append(E(run.Host));
        }
        sb
          .Append(" &middot; started ").Append(E(run.Start.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)))
          .Append(" &middot; ").Append(E(run.State.ToString()));
        if (run.Config.Count > 0) sb.Append(" &middot; config ").Append(E(string.Join(", ", run.Config)));
        if (run.Filters.Count > 0) sb.Append(" &middot; filter ").Append(E(string.Join("; ", run.Filters)));
        sb.Append("</div>\n<div class=\"bar\" id=\"summary-bar\">");
        foreach (var (status, color) in Colors)
        {
            var count = tests.Count(t => t.Status == status);
            if (count == 0) continue;
            var share = 100.0 * count / Math.Max(1, tests.Count);
            sb.Append(CultureInfo.InvariantCulture, $"<div style=\"width:{share:0.##}%;background:{color}\" title=\"{Name(status)}: {count}\">{Name(status)} {count}</div>");
        }
        sb.Append("</div>\n<table id=\"results\"><thead><tr><th data-type=\"num\">#</th><th>Test</th><th data-type=\"status\">Status</th>")
          .Append("<th data-type=\"num\">Duration (s)</th>").Append(cluster ? "<th>Node</th>" : "").Append("<th>Reason</th><th>Steps</th><th>Logs</th><th>Screenshots</th></tr></thead><tbody>\n");
        foreach (var t in tests)
        {
            var color = Colors.First(c => c.Status == t.Status).Color;
            sb.Append(CultureInfo.InvariantCulture, $"<tr data-status=\"{(int)t.Status}\"><td class=\"num\">{t.Index}</td><td title=\"{E(t.Name)}\">{E(t.ShortName)}</td>");
            sb.Append(CultureInfo.InvariantCulture, $"<td><span class=\"status\" style=\"background:{color}\">{Name(t.Status)}</span></td><td class=\"num\">{t.Duration:0.0}</td>");
            if (cluster) AppendNode(sb, t);
            sb.Append("<td class=\"reason\" title=\"").Append(E(t.Reason)).Append("\">").Append(E(t.Reason)).Append("</td><td>");
            AppendSteps(sb, t);
            sb.Append("</td><td>");
            foreach (var log in t.Logs) sb.Append("<a href=\"").Append(E(log)).Append("\">").Append(E(Path.GetFileName(log))).Append("</a><br>");
            sb.Append("</td><td>");
            foreach (var shot in t.Screenshots) AppendScreenshot(sb, folder.Path, shot);
            sb.Append("</td></tr>\n");
        }
        sb.Append("</tbody></table>\n<script>\n")
          .Append("document.querySelectorAll('#results th').forEach(function(th,col){var asc=true;th.addEventListener('click',function(){")
          .Append("var body=document.querySelector('#results tbody');var rows=Array.prototype.slice.call(body.rows);var type=th.dataset.type;")
          .Append("rows.sort(function(a,b){var x,y;if(type==='status'){x=+a.dataset.status;y=+b.dataset.status;}else if(type==='num'){x=parseFloat(a.cells[col].textContent);y=parseFloat(b.cells[col].textContent);}")
          .Append("else{x=a.cells[col].textContent;y=b.cells[col].textContent;}return (x<y?-1:x>y?1:0)*(asc?1:-1);});")
          .Append("rows.forEach(function(r){body.appendChild(r);});asc=!asc;});});\n</script>\n</body></html>\n");
        return sb.ToString();
    }

    /// <summary>The node that ran the test, and any earlier attempt (a node that died) under it.</summary>
    private static void AppendNode(StringBuilder sb, TestResult t)
    {
        sb.Append("<td class=\"node\">").Append(E(t.Node ?? ""));
        if (t.Cluster is { } cluster)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<div class=\"job\">job {E(cluster.Job)}, attempt {cluster.Attempt}</div>");
            foreach (var earlier in cluster.EarlierAttempts) sb.Append("<div class=\"earlier\">").Append(E(earlier.ToString())).Append("</div>");
        }
        sb.Append("</td>");
    }

    /// <summary>The test's steps as a numbered list; the one it failed in is marked.</summary>
    private static void AppendSteps(StringBuilder sb, TestResult t)
    {
        if (t.Steps.Count == 0) return;
        sb.Append("<ol class=\"steps\">");
        foreach (var step in t.Steps)
        {
            var failed = t.FailedStep is not null && step.Number == t.Steps.Count;
            sb.Append(failed ? "<li class=\"failed\" title=\"failed here\">" : "<li>").Append(E(step.Name))
              .Append(CultureInfo.InvariantCulture, $" <small>({step.Duration:0.0} s)</small></li>");
        }
        sb.Append("</ol>");
    }

    private static void AppendScreenshot(StringBuilder sb, string root, string relative)
    {
        var file = Path.Combine(root, relative);
        sb.Append("<a href=\"").Append(E(relative)).Append("\">");
        var info = new FileInfo(file);
        if (info.Exists && info.Length <= MaxEmbeddedBytes)
        {
            sb.Append("<img class=\"shot\" alt=\"").Append(E(Path.GetFileName(relative))).Append("\" src=\"data:image/png;base64,")
              .Append(Convert.ToBase64String(File.ReadAllBytes(file))).Append("\">");
        }
        else
        {
            sb.Append(E(Path.GetFileName(relative)));
        }
        sb.Append("</a>");
    }

    private static string Name(TestStatus status) => status.ToString().ToUpperInvariant();

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
