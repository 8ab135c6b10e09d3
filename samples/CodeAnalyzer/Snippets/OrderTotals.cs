namespace Shop.Orders;

public sealed record OrderLine(string Sku, int Quantity, decimal UnitPrice);

public static class OrderTotals
{
    public static decimal Subtotal(IEnumerable<OrderLine> lines) =>
        lines.Sum(line => line.Quantity * line.UnitPrice);

    public static decimal WithTax(decimal subtotal, decimal taxRate)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(taxRate);
        return decimal.Round(subtotal * (1 + taxRate), 2, MidpointRounding.ToEven);
    }
}
