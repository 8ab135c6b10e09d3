using Microsoft.Data.Sqlite;

namespace Shop.Data;

public sealed class CustomerLookup(SqliteConnection connection)
{
    public string? FindEmail(string customerName)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT email FROM customers WHERE name = $name";
        command.Parameters.AddWithValue("$name", customerName);
        return command.ExecuteScalar() as string;
    }
}
