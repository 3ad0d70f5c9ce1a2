using CloudShelf.Sync.Streams;

namespace CloudShelf.Sync.Tests.Streams;

public sealed class SequenceNumbersTests
{
    private const string TwentyOneDigits = "100000000000000000111";
    private const string FortyDigits = "4812100000000001142048000000000000000017";

    [Theory]
    [InlineData("9", "10")]
    [InlineData("98765400000000003210004", "100012300000000003210417")]
    [InlineData(TwentyOneDigits, FortyDigits)]
    [InlineData("999999999999999999999", "1000000000000000000000")]
    [InlineData("0", "1")]
    [InlineData("0099", "100")]
    [InlineData("4812100000000001142048000000000000000016", FortyDigits)]
    public void The_first_is_lower_as_a_number(string lower, string higher)
    {
        Assert.True(SequenceNumbers.Compare(lower, higher) < 0);
        Assert.True(SequenceNumbers.Compare(higher, lower) > 0);
    }

    [Theory]
    [InlineData("10", "10")]
    [InlineData("0010", "10")]
    [InlineData("0", "000")]
    [InlineData(FortyDigits, FortyDigits)]
    public void Leading_zeros_do_not_change_the_number(string a, string b)
    {
        Assert.Equal(0, SequenceNumbers.Compare(a, b));
    }

    [Fact]
    public void Numbers_too_close_for_a_double_still_compare_apart()
    {
        const string a = "4812100000000001142048000000000000000017";
        const string b = "4812100000000001142048000000000000000018";

        Assert.Equal(double.Parse(a, System.Globalization.CultureInfo.InvariantCulture),
            double.Parse(b, System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(SequenceNumbers.Compare(a, b) < 0);
    }

    [Fact]
    public void The_comparer_sorts_numerically()
    {
        string[] sequences = ["10", "9", FortyDigits, "100", TwentyOneDigits, "011"];

        Assert.Equal(["9", "10", "011", "100", TwentyOneDigits, FortyDigits], sequences.Order(SequenceNumbers.Comparer));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1")]
    [InlineData(TwentyOneDigits)]
    [InlineData(FortyDigits)]
    [InlineData("0000000000000000000000000000000000000001")]
    public void Up_to_forty_digits_are_valid(string value)
    {
        Assert.True(SequenceNumbers.IsValid(value));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("48121000000000011420480000000000000000170")]
    [InlineData("12a")]
    [InlineData("-1")]
    [InlineData("+1")]
    [InlineData(" 1")]
    [InlineData("1.0")]
    [InlineData("1e5")]
    [InlineData("١٢٣")]
    public void Anything_else_is_invalid(string? value)
    {
        Assert.False(SequenceNumbers.IsValid(value));
    }

    [Fact]
    public void Forty_one_digits_is_one_too_many()
    {
        Assert.Equal(41, "48121000000000011420480000000000000000170".Length);
        Assert.Equal(SequenceNumbers.MaxDigits, FortyDigits.Length);
    }
}
