namespace CloudShelf.Sync.Cli;

internal static class Program
{
    public static int Main()
    {
        Console.Error.WriteLine("usage: cloudshelf-sync <command>");
        return 2;
    }
}
