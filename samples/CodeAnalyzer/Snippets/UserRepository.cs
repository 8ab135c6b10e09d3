using Microsoft.Data.Sqlite;

namespace Shop.Data;

public sealed class UserRepository(SqliteConnection connection)
{
    public bool Exists(string userName)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM users WHERE name = '" + userName + "'";
        return (long)command.ExecuteScalar()! > 0;
    }

    public void Rename(string oldName, string newName)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"UPDATE users SET name = '{newName}' WHERE name = '{oldName}'";
        command.ExecuteNonQuery();
    }
}
