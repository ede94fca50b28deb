using VirtTest.Core.Config;

namespace VirtTest.Core.Tests.Config;

/// <summary>The reserved keys are told apart by length and first character before comparing: exactly these five, nothing near them.</summary>
public class ReservedKeyTests
{
    [Theory]
    [InlineData("name")]
    [InlineData("dep")]
    [InlineData("shortname")]
    [InlineData("_name_map_file")]
    [InlineData("_short_name_map_file")]
    public void The_reserved_keys_are_reserved(string key) => Assert.True(WorkingDict.IsReserved(new string(key.AsSpan())));

    [Theory]
    [InlineData("")]
    [InlineData("d")]
    [InlineData("dap")]
    [InlineData("Dep")]
    [InlineData("nams")]
    [InlineData("names")]
    [InlineData("shortnamE")]
    [InlineData("param_0_5")]
    [InlineData("_name_map_filE")]
    [InlineData("xname_map_file")]
    [InlineData("_short_name_map_fil_")]
    [InlineData("_long_name_map_files")]
    public void Other_keys_are_not(string key) => Assert.False(WorkingDict.IsReserved(key));
}
