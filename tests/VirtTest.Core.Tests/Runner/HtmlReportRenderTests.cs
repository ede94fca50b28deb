using System.Diagnostics;
using VirtTest.Core.Runner;
using Xunit;

namespace VirtTest.Core.Tests.Runner;

/// <summary>
/// The HTML report rendered by a real browser (Debian's chromium, headless): the page must not
/// be blank, and its summary bar must show the PASS and FAIL colours in proportion.
/// </summary>
[Trait("Category", "Chromium")]
public sealed class HtmlReportRenderTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "vt-html-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task The_report_renders_in_headless_chromium_with_its_summary_bar_and_table()
    {
        var folder = new ResultsFolder(_dir);
        folder.Begin(new RunInfo { Id = "render-test", Jobs = 2, Start = DateTimeOffset.Now, State = RunState.Running, Planned = 4 });
        var statuses = new[] { TestStatus.Pass, TestStatus.Pass, TestStatus.Pass, TestStatus.Fail };
        for (var i = 0; i < statuses.Length; i++)
        {
            folder.Add(new TestResult
            {
                Index = i + 1, Name = $"t{i}", ShortName = $"test.number{i}", Status = statuses[i], Duration = i + 0.5,
                Reason = statuses[i] == TestStatus.Fail ? "the guest said no" : "", Start = DateTimeOffset.Now,
            });
        }
        folder.Finish(RunState.Completed);
        ReportWriter.WriteAll(folder);

        var png = Path.Combine(_dir, "shot.png");
        var psi = new ProcessStartInfo("chromium") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--user-data-dir=" + Path.Combine(_dir, "profile"),
                     "--window-size=1000,600", "--screenshot=" + png, new Uri(Path.Combine(_dir, ResultsFolder.HtmlFileName)).AbsoluteUri })
            psi.ArgumentList.Add(a);
        using (var chromium = Process.Start(psi)!)
        {
            var stderr = chromium.StandardError.ReadToEndAsync();
            chromium.StandardOutput.ReadToEnd();
            if (!chromium.WaitForExit(60_000))
            {
                chromium.Kill(entireProcessTree: true);
                Assert.Fail("chromium did not finish within 60 s");
            }
            Assert.True(File.Exists(png), "chromium wrote no screenshot: " + await stderr);
        }

        var pixels = PngPixels.Read(png);
        Assert.Equal((1000, 600), (pixels.Width, pixels.Height));
        Assert.True(pixels.DistinctColours() > 20, "the page looks blank");
        var green = pixels.Count((0x2e, 0x9d, 0x4a));
        var red = pixels.Count((0xd2, 0x3b, 0x3b));
        Assert.True(red > 500, $"no FAIL colour on the page ({red} pixels)");
        // Three passes and one failure: the bar's green part is about three times its red one
        // (the status badges in the table add a little of each).
        Assert.InRange((double)green / red, 2.0, 4.0);
    }
}
