import { fakeRegistrationNumber, isValidInn } from "./requisites"

/** The shape of GET /filter/api/counterparty-detail items (reference §4.5). */
export interface CounterpartyDetail {
  id: string
  vatNumber: string
  taxRegistrationReasonCode: string | null
  name: string
  nameFull: string
  nameI18n: { ru: string; en: string }
  registrationNumber: string
  registrationDate: string | null
  registrationAddress: string
  postAddress: string
  postAddressZip: string
}

interface KnownCompany {
  inn: string
  kpp: string
  name: string
  nameFull: string
  nameEn: string
  ogrn: string
  address: string
  zip: string
}

// Real public register data so that a demo checkout looks familiar; it may age, which does not matter
// for a sandbox.
const DIRECTORY: KnownCompany[] = [
  {
    inn: "7707083893",
    kpp: "773601001",
    name: "ПАО Сбербанк",
    nameFull: "Публичное акционерное общество «Сбербанк России»",
    nameEn: "Sberbank",
    ogrn: "1027700132195",
    address: "117312, г. Москва, ул. Вавилова, д. 19",
    zip: "117312",
  },
  {
    inn: "7736207543",
    kpp: "770401001",
    name: "ООО «Яндекс»",
    nameFull: "Общество с ограниченной ответственностью «Яндекс»",
    nameEn: "Yandex LLC",
    ogrn: "1027700229193",
    address: "119021, г. Москва, ул. Льва Толстого, д. 16",
    zip: "119021",
  },
  {
    inn: "7740000076",
    kpp: "770901001",
    name: "ПАО «МТС»",
    nameFull: "Публичное акционерное общество «Мобильные ТелеСистемы»",
    nameEn: "MTS PJSC",
    ogrn: "1027700149124",
    address: "109147, г. Москва, ул. Марксистская, д. 4",
    zip: "109147",
  },
  {
    inn: "7708503727",
    kpp: "770801001",
    name: "ОАО «РЖД»",
    nameFull: "Открытое акционерное общество «Российские железные дороги»",
    nameEn: "Russian Railways",
    ogrn: "1037739877295",
    address: "107174, г. Москва, ул. Новая Басманная, д. 2/1, стр. 1",
    zip: "107174",
  },
]

/** A stable id per ИНН, so that repeated look-ups return the same record. */
function idFor(inn: string): string {
  const hex = inn.padStart(12, "0")
  return `00000000-0000-4000-8000-${hex}`
}

/**
 * Looks a company up by ИНН. Returns null for an invalid ИНН (the route answers 422); any other valid
 * ИНН gets a deterministic fake company so that arbitrary test data works without a network.
 */
export function findCounterparty(inn: string): CounterpartyDetail | null {
  if (!isValidInn(inn)) return null
  const known = DIRECTORY.find((company) => company.inn === inn)
  if (known) {
    return {
      id: idFor(inn),
      vatNumber: inn,
      taxRegistrationReasonCode: known.kpp,
      name: known.name,
      nameFull: known.nameFull,
      nameI18n: { ru: known.name, en: known.nameEn },
      registrationNumber: known.ogrn,
      registrationDate: null,
      registrationAddress: known.address,
      postAddress: known.address,
      postAddressZip: known.zip,
    }
  }
  const soleProprietor = inn.length === 12
  const name = soleProprietor ? `ИП Тестов ${inn}` : `ООО «Тестовая компания ${inn}»`
  const address = "101000, г. Москва, ул. Тестовая, д. 1"
  return {
    id: idFor(inn),
    vatNumber: inn,
    // A sole proprietor has no КПП; a company's КПП starts with its tax office code (first 4 ИНН digits).
    taxRegistrationReasonCode: soleProprietor ? null : `${inn.slice(0, 4)}01001`,
    name,
    nameFull: soleProprietor
      ? `Индивидуальный предприниматель Тестов ${inn}`
      : `Общество с ограниченной ответственностью «Тестовая компания ${inn}»`,
    nameI18n: { ru: name, en: soleProprietor ? `Sole proprietor Testov ${inn}` : `Test company ${inn} LLC` },
    registrationNumber: fakeRegistrationNumber(inn, soleProprietor),
    registrationDate: "2015-01-15",
    registrationAddress: address,
    postAddress: address,
    postAddressZip: "101000",
  }
}
