using CloudShelf.Sync.Postgres;

namespace CloudShelf.Sync.Tests.Postgres;

public sealed class StorableTextTests
{
    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("a\0b", "a\\u0000b")]
    [InlineData("pair \ud83d\ude00 kept", "pair \ud83d\ude00 kept")]
    public void Text_PostgreSQL_cannot_store_is_escaped_and_the_rest_kept(string text, string stored)
    {
        Assert.Equal(stored, StorableText.Escape(text));
        Assert.True(StorableText.IsStorable(StorableText.Escape(text)));
    }

    [Fact]
    public void Lone_surrogates_are_escaped()
    {
        // Built in code: attribute arguments pass through UTF-8 metadata, which cannot carry a lone surrogate.
        Assert.Equal("lone \\ud800 high", StorableText.Escape("lone " + (char)0xD800 + " high"));
        Assert.Equal("lone \\udc00 low", StorableText.Escape("lone " + (char)0xDC00 + " low"));
    }
}
