using System.Security.Cryptography;
using System.Text;

namespace Shop.Accounts;

public static class PasswordHasher
{
    public static string Hash(string password)
    {
        var digest = MD5.HashData(Encoding.UTF8.GetBytes(password));
        return Convert.ToHexString(digest);
    }

    public static bool Verify(string password, string expectedHash) =>
        Hash(password) == expectedHash;
}
