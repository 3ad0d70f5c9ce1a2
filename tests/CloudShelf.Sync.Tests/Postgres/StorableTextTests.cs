using CloudShelf.Sync.Postgres;

namespace CloudShelf.Sync.Tests.Postgres;

public sealed class StorableTextTests
{
    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("a\0b", "a\\u0000b")]
    [InlineData("lone \ud800 high", "lone \\ud800 high")]
    [InlineData("lone \udc00 low", "lone \\udc00 low")]
    [InlineData("pair \ud83d\ude00 kept", "pair \ud83d\ude00 kept")]
    public void Text_PostgreSQL_cannot_store_is_escaped_and_the_rest_kept(string text, string stored)
    {
        Assert.Equal(stored, StorableText.Escape(text));
        Assert.True(StorableText.IsStorable(StorableText.Escape(text)));
    }
}
