namespace VirtTest.Core.Runner;

/// <summary>Writes <c>junit.xml</c> and <c>report.html</c> beside <c>results.json</c>.</summary>
public static class ReportWriter
{
    public static void WriteAll(ResultsFolder folder)
    {
        var tests = folder.Tests;
        var junit = Path.Combine(folder.Path, ResultsFolder.JUnitFileName);
        using (var writer = System.Xml.XmlWriter.Create(junit + ".tmp", new System.Xml.XmlWriterSettings { Indent = true, Encoding = new System.Text.UTF8Encoding(false) }))
        {
            JUnitReport.Build(folder.Run, tests).Save(writer);
        }
        File.Move(junit + ".tmp", junit, overwrite: true);
        var html = Path.Combine(folder.Path, ResultsFolder.HtmlFileName);
        File.WriteAllText(html + ".tmp", HtmlReport.Build(folder));
        File.Move(html + ".tmp", html, overwrite: true);
    }
}
