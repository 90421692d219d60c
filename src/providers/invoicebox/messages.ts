import { MedusaError } from "@medusajs/framework/utils"

/**
 * Shoppers and merchants read these errors, in a Russian store, often through an English
 * storefront: every message carries both languages, Russian first.
 */
export function bilingual(ru: string, en: string): string {
  return `${ru} / ${en}`
}

export function userError(type: keyof typeof MedusaError.Types, ru: string, en: string): MedusaError {
  return new MedusaError(MedusaError.Types[type], bilingual(ru, en))
}
