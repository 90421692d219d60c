import { sdk } from "@lib/config"
import { addToCart } from "@lib/cart"

export default async function Catalogue({ params }: { params: { countryCode: string } }) {
  const { regions } = await sdk.store.region.list()
  const { products } = await sdk.store.product.list({ region_id: regions[0].id, fields: "id,title,handle,*variants,*variants.calculated_price" })
  return (
    <main>
      <h1>Каталог</h1>
      {products.map((p) => (
        <form key={p.id} action={addToCart} data-handle={p.handle} className="product">
          <h2>{p.title}</h2>
          <input type="hidden" name="variant_id" value={p.variants?.[0]?.id} />
          <input type="hidden" name="country_code" value={params.countryCode} />
          <button type="submit">В корзину — {p.variants?.[0]?.calculated_price?.calculated_amount} ₽</button>
        </form>
      ))}
    </main>
  )
}
