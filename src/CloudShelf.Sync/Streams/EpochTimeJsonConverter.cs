using System.Text.Json;
using System.Text.Json.Serialization;

namespace CloudShelf.Sync.Streams;

/// <summary>
/// ApproximateCreationDateTime is documented as epoch seconds; AWS's own deserializer also accepts
/// milliseconds, recognised by a value beyond the year 5000 when read as seconds.
/// </summary>
internal sealed class EpochTimeJsonConverter : JsonConverter<DateTimeOffset?>
{
    // 5000-01-01T00:00:00Z in epoch seconds.
    private const double MillisecondsThreshold = 95_617_584_000d;

    public override DateTimeOffset? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        double value;
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.Number:
                value = reader.GetDouble();
                break;
            case JsonTokenType.String when double.TryParse(reader.GetString(), System.Globalization.NumberStyles.Float,
                                               System.Globalization.CultureInfo.InvariantCulture, out value):
                break;
            default:
                throw new JsonException("ApproximateCreationDateTime must be a number of epoch seconds.");
        }

        var milliseconds = value > MillisecondsThreshold ? value : value * 1000d;
        if (double.IsNaN(milliseconds) || milliseconds < -62_135_596_800_000d || milliseconds > 253_402_300_799_000d)
            throw new JsonException($"ApproximateCreationDateTime {value} is out of range.");
        return DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(milliseconds));
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset? value, JsonSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNullValue();
            return;
        }
        var milliseconds = value.Value.ToUnixTimeMilliseconds();
        if (milliseconds % 1000 == 0) writer.WriteNumberValue(milliseconds / 1000);
        else writer.WriteNumberValue(milliseconds / 1000m);
    }
}
