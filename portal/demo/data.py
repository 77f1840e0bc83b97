"""Word lists for the demo ecosystem, written for this project (no downloads)."""

# ~120 capabilities, roughly from most to least common: the generator draws them with a
# Zipf-like skew so that some are popular and offers meet needs across companies.
CAPABILITIES = (
    "ERP", "Salesforce", "cloud migration", "data warehousing", "cybersecurity audits", "SAP S/4HANA migration",
    "Microsoft Dynamics 365", "Kubernetes", "e-commerce", "machine learning", "EDI integration",
    "GDPR compliance", "business intelligence", "AWS", "Microsoft Azure", "DevOps", "API integration",
    "managed services", "IoT", "logistics optimisation", "Power BI", "ServiceNow", "data engineering",
    "UX design", "mobile apps", "identity and access management", "SAP consulting", "Google Cloud",
    "penetration testing", "ISO 27001", "CRM implementation", "supply chain planning", "Shopify",
    "warehouse management", "digital marketing", "robotic process automation", "Snowflake", "Databricks",
    "network security", "SD-WAN", "Microsoft 365", "helpdesk outsourcing", "payroll", "financial reporting",
    "MES", "predictive maintenance", "computer vision", "natural language processing", "chatbots",
    "Python", "Java", "TypeScript", ".NET", "Go", "React", "PostgreSQL", "Oracle Database",
    "Terraform", "observability", "site reliability engineering", "test automation", "agile coaching",
    "change management", "training", "technical writing", "localisation", "accessibility audits",
    "PCI DSS", "SOC 2", "NIS2 readiness", "e-invoicing", "tax compliance", "procurement",
    "product information management", "master data management", "data governance", "data migration",
    "ETL", "Apache Kafka", "event-driven architecture", "microservices", "legacy modernisation",
    "mainframe", "SAP BTP", "SAP Ariba", "Workday", "HR systems", "field service management",
    "fleet telematics", "route planning", "customs brokerage", "cold chain monitoring", "energy management",
    "smart metering", "EV charging", "building automation", "digital twins", "AR/VR", "GIS",
    "healthcare interoperability", "HL7 FHIR", "telemedicine", "learning management systems",
    "video streaming", "content management", "headless CMS", "search engineering", "Elasticsearch",
    "recommendation engines", "pricing optimisation", "demand forecasting", "fraud detection", "open banking",
    "payments", "blockchain", "quantum readiness", "hardware resale", "licensing advice",
    "Linux administration", "backup and recovery", "disaster recovery", "unified communications",
    "contact centre", "5G private networks", "edge computing", "embedded software", "PLC programming",
    "OT security", "sustainability reporting", "carbon accounting",
)

# Capabilities an industry leans towards (boosted when drawing its companies' offers and needs).
INDUSTRY_AFFINITY = {
    "Software": ("Kubernetes", "DevOps", "API integration", "microservices", "test automation", "Python",
                 "TypeScript", "observability"),
    "Logistics": ("EDI integration", "logistics optimisation", "warehouse management", "route planning",
                  "fleet telematics", "customs brokerage", "cold chain monitoring", "supply chain planning"),
    "Manufacturing": ("MES", "predictive maintenance", "IoT", "PLC programming", "OT security", "digital twins",
                      "SAP S/4HANA migration", "ERP"),
    "Retail": ("e-commerce", "Shopify", "product information management", "pricing optimisation",
               "demand forecasting", "recommendation engines", "payments", "digital marketing"),
    "Financial services": ("fraud detection", "open banking", "payments", "PCI DSS", "SOC 2",
                           "financial reporting", "tax compliance", "identity and access management"),
    "Healthcare": ("healthcare interoperability", "HL7 FHIR", "telemedicine", "GDPR compliance",
                   "cybersecurity audits", "data governance"),
    "Energy": ("smart metering", "energy management", "EV charging", "sustainability reporting",
               "carbon accounting", "edge computing", "IoT"),
    "Public sector": ("accessibility audits", "GDPR compliance", "NIS2 readiness", "legacy modernisation",
                      "mainframe", "e-invoicing", "identity and access management"),
    "Telecommunications": ("5G private networks", "SD-WAN", "unified communications", "contact centre",
                           "network security", "edge computing"),
    "Professional services": ("change management", "agile coaching", "training", "CRM implementation",
                              "SAP consulting", "licensing advice", "technical writing"),
    "Education": ("learning management systems", "video streaming", "accessibility audits", "content management",
                  "Microsoft 365"),
    "Media": ("video streaming", "headless CMS", "content management", "search engineering",
              "recommendation engines", "localisation"),
    "Other": ("managed services", "helpdesk outsourcing", "backup and recovery", "training"),
}

INDUSTRY_WEIGHTS = {
    "Software": 30, "Logistics": 12, "Manufacturing": 14, "Retail": 10, "Financial services": 10,
    "Healthcare": 7, "Energy": 6, "Public sector": 5, "Telecommunications": 5, "Professional services": 12,
    "Education": 3, "Media": 3, "Other": 3,
}

PARTNER_TYPE_WEIGHTS = {
    "isv": 30, "systems_integrator": 28, "consultancy": 20, "reseller": 12, "distributor": 6, "other": 4,
}

SIZE_WEIGHTS = {"1-10": 18, "11-50": 30, "51-200": 25, "201-1000": 15, "1001-5000": 8, "5000+": 4}

# Regions (as in portal.profiles.models.REGIONS) with weights, cities, legal forms and name pools.
REGIONS = {
    "North America": (24, ("Toronto", "Chicago", "Austin", "Seattle", "Boston", "Montréal", "Denver", "Atlanta"),
                      ("Inc.", "LLC", "Corp.")),
    "Latin America": (6, ("São Paulo", "Mexico City", "Bogotá", "Buenos Aires", "Santiago", "Lima"),
                      ("S.A.", "Ltda.", "S.A. de C.V.")),
    "Western Europe": (20, ("Amsterdam", "Rotterdam", "Brussels", "Paris", "Lyon", "Munich", "Hamburg",
                            "Zürich", "Dublin", "London", "Manchester"), ("GmbH", "B.V.", "SAS", "Ltd", "AG")),
    "Northern Europe": (9, ("Copenhagen", "Aarhus", "Stockholm", "Gothenburg", "Oslo", "Helsinki", "Tallinn"),
                        ("ApS", "AB", "AS", "Oy")),
    "Southern Europe": (7, ("Madrid", "Barcelona", "Lisbon", "Porto", "Milan", "Turin", "Athens"),
                        ("S.L.", "Lda.", "S.r.l.", "S.p.A.")),
    "Central & Eastern Europe": (8, ("Warsaw", "Kraków", "Prague", "Brno", "Budapest", "Bucharest", "Sofia"),
                                 ("Sp. z o.o.", "s.r.o.", "Kft.", "S.R.L.")),
    "Middle East": (4, ("Dubai", "Tel Aviv", "Riyadh", "Doha", "Istanbul"), ("LLC", "Ltd", "A.Ş.")),
    "Africa": (4, ("Lagos", "Nairobi", "Cape Town", "Johannesburg", "Accra", "Kigali"), ("Ltd", "(Pty) Ltd")),
    "South Asia": (6, ("Bengaluru", "Pune", "Hyderabad", "Chennai", "Colombo", "Dhaka"), ("Pvt. Ltd.", "LLP")),
    "East Asia": (5, ("Tokyo", "Osaka", "Seoul", "Taipei", "Shanghai", "Hong Kong"), ("K.K.", "Co., Ltd.", "Ltd")),
    "Southeast Asia": (4, ("Singapore", "Kuala Lumpur", "Jakarta", "Bangkok", "Ho Chi Minh City", "Manila"),
                       ("Pte. Ltd.", "Sdn. Bhd.", "PT")),
    "Oceania": (3, ("Sydney", "Melbourne", "Auckland", "Brisbane", "Wellington"), ("Pty Ltd", "Ltd")),
}

# Which name pools a region mostly draws from (the rest comes from anywhere: people move).
REGION_NAME_POOLS = {
    "North America": ("anglo", "hispanic", "south_asian", "east_asian"),
    "Latin America": ("hispanic", "lusophone"),
    "Western Europe": ("germanic", "french", "anglo", "dutch"),
    "Northern Europe": ("nordic", "germanic"),
    "Southern Europe": ("hispanic", "italian", "lusophone", "greek"),
    "Central & Eastern Europe": ("slavic", "hungarian"),
    "Middle East": ("arabic", "hebrew", "turkish"),
    "Africa": ("west_african", "east_african", "anglo"),
    "South Asia": ("south_asian",),
    "East Asia": ("east_asian",),
    "Southeast Asia": ("southeast_asian", "east_asian"),
    "Oceania": ("anglo", "maori"),
}

FIRST_NAMES = {
    "anglo": ("Dana", "Oliver", "Emma", "James", "Charlotte", "Liam", "Grace", "Noah", "Harper", "Ethan", "Chloe",
              "Samuel", "Ava", "Isaac", "Ruby", "Connor", "Siobhán", "Declan", "Megan", "Owen"),
    "hispanic": ("Lucía", "Mateo", "Sofía", "Alejandro", "Valentina", "Diego", "Camila", "Javier", "Martina",
                 "Andrés", "Ximena", "Pablo", "Inés", "Rodrigo", "Carmen"),
    "lusophone": ("João", "Beatriz", "Tiago", "Mariana", "Gonçalo", "Ana", "Rafael", "Leonor", "Thiago", "Larissa"),
    "germanic": ("Lukas", "Anna", "Jonas", "Lena", "Felix", "Mia", "Maximilian", "Jürgen", "Sophie", "Matthias",
                 "Katrin", "Tobias"),
    "french": ("Camille", "Louis", "Chloé", "Hugo", "Léa", "Théo", "Manon", "Étienne", "Inès", "Gaspard"),
    "dutch": ("Daan", "Sanne", "Bram", "Fleur", "Joris", "Lotte", "Sem", "Anouk", "Thijs", "Femke"),
    "nordic": ("Søren", "Freja", "Magnus", "Ingrid", "Mikael", "Astrid", "Henrik", "Sigrid", "Åsa", "Jukka",
               "Aino", "Björn"),
    "italian": ("Giulia", "Lorenzo", "Francesca", "Matteo", "Chiara", "Alessandro", "Federica", "Niccolò"),
    "greek": ("Eleni", "Giorgos", "Katerina", "Nikos", "Dimitra", "Yannis"),
    "slavic": ("Łukasz", "Agnieszka", "Tomasz", "Zuzana", "Jakub", "Katarzyna", "Petr", "Małgorzata", "Ondřej",
               "Ivana", "Marek", "Milena"),
    "hungarian": ("Zsófia", "Bence", "Réka", "Ádám", "Eszter", "Gergő"),
    "arabic": ("Omar", "Layla", "Yusuf", "Amira", "Karim", "Noor", "Hassan", "Rania", "Tariq", "Salma"),
    "hebrew": ("Noa", "Eitan", "Yael", "Ariel", "Tamar", "Omer"),
    "turkish": ("Elif", "Emre", "Zeynep", "Burak", "Ayşe", "Mehmet"),
    "west_african": ("Ngozi", "Chinedu", "Adaeze", "Kwame", "Ama", "Oluwaseun", "Folake", "Kofi", "Yewande"),
    "east_african": ("Wanjiru", "Baraka", "Amani", "Njeri", "Otieno", "Zawadi", "Aisha"),
    "south_asian": ("Priya", "Arjun", "Ananya", "Rohan", "Kavya", "Vikram", "Meera", "Aditya", "Sanjana",
                    "Farhan", "Nisha", "Rahul"),
    "east_asian": ("Haruto", "Yui", "Min-jun", "Seo-yeon", "Wei", "Mei", "Jia Hao", "Sakura", "Ji-woo", "Chen"),
    "southeast_asian": ("Nguyen Anh", "Siti", "Arif", "Thanh", "Mai", "Putri", "Somchai", "Ratana", "Rizal"),
    "maori": ("Aroha", "Tāne", "Mere", "Wiremu", "Anahera", "Rāwiri"),
}

LAST_NAMES = {
    "anglo": ("Reyes", "Thompson", "Walker", "O'Brien", "Clarke", "Hughes", "Bennett", "Murphy", "Foster",
              "Campbell", "Ellis", "Price", "Gallagher", "Sullivan", "Brooks"),
    "hispanic": ("García", "Martínez", "López", "Hernández", "Ruiz", "Jiménez", "Moreno", "Álvarez", "Castillo",
                 "Vargas", "Ortega", "Núñez"),
    "lusophone": ("Silva", "Santos", "Ferreira", "Pereira", "Costa", "Rodrigues", "Almeida", "Gonçalves"),
    "germanic": ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Becker", "Hoffmann", "Schäfer", "Krüger",
                 "Wagner"),
    "french": ("Martin", "Bernard", "Dubois", "Lefèvre", "Moreau", "Laurent", "Girard", "Rousseau", "Fontaine"),
    "dutch": ("de Vries", "Jansen", "van Dijk", "Bakker", "Visser", "Smit", "de Boer", "Mulder", "van den Berg"),
    "nordic": ("Jensen", "Nielsen", "Hansen", "Lindqvist", "Johansson", "Andersson", "Virtanen", "Korhonen",
               "Berg", "Sørensen", "Håkansson"),
    "italian": ("Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci"),
    "greek": ("Papadopoulos", "Georgiou", "Nikolaidis", "Konstantinou", "Dimitriou"),
    "slavic": ("Nowak", "Kowalski", "Wiśniewska", "Dvořák", "Novák", "Horváthová", "Zieliński", "Procházka",
               "Kamińska", "Svoboda"),
    "hungarian": ("Nagy", "Kovács", "Tóth", "Szabó", "Horváth", "Varga"),
    "arabic": ("Haddad", "Khalil", "Nasser", "Farouk", "Mansour", "Al-Amin", "Saleh", "Aziz"),
    "hebrew": ("Cohen", "Levi", "Mizrahi", "Peretz", "Friedman"),
    "turkish": ("Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Öztürk"),
    "west_african": ("Okafor", "Adeyemi", "Mensah", "Nwosu", "Boateng", "Eze", "Owusu", "Balogun"),
    "east_african": ("Kamau", "Odhiambo", "Mwangi", "Wanjiku", "Njoroge", "Mutua", "Achieng"),
    "south_asian": ("Sharma", "Patel", "Iyer", "Reddy", "Nair", "Gupta", "Menon", "Khan", "Chatterjee", "Rao",
                    "Perera"),
    "east_asian": ("Tanaka", "Sato", "Kim", "Park", "Lee", "Wang", "Zhang", "Liu", "Suzuki", "Chen", "Lin"),
    "southeast_asian": ("Nguyen", "Tran", "Santos", "Wijaya", "Tan", "Lim", "Rahman", "Chaiyaporn"),
    "maori": ("Ngata", "Parata", "Walker", "Tawhiri", "Horomona"),
}

NAME_PREFIXES = (
    "North", "Bright", "Blue", "Silver", "Iron", "Clear", "Swift", "Stone", "Red", "Green", "Sun", "Oak",
    "River", "Harbor", "Summit", "Cobalt", "Amber", "Cedar", "Crystal", "Falcon", "Granite", "Lumen",
    "Nova", "Polar", "Quartz", "Vector", "Zenith", "Maple", "Tidal", "Orbit", "Delta", "Atlas", "Pine",
    "Copper", "Fjord", "Sierra", "Coral", "Helix", "Prism", "Kestrel",
)
NAME_SUFFIXES = (
    "wind", "path", "line", "gate", "field", "bridge", "point", "stack", "forge", "wave", "peak", "craft",
    "works", "light", "flow", "mark", "shore", "vale", "grid", "core", "loop", "leaf", "ridge", "scale",
)
NAME_NOUNS = {
    "Software": ("Software", "Labs", "Systems", "Technologies", "Digital", "Cloud"),
    "Logistics": ("Logistics", "Freight", "Supply Chain", "Transport"),
    "Manufacturing": ("Industries", "Automation", "Engineering", "Manufacturing"),
    "Retail": ("Commerce", "Retail Solutions", "Brands"),
    "Financial services": ("Finance", "Payments", "Capital Systems", "FinTech"),
    "Healthcare": ("Health", "Medical Systems", "Care Technologies"),
    "Energy": ("Energy", "Power", "Renewables", "Grid Solutions"),
    "Public sector": ("GovTech", "Civic Solutions", "Public Systems"),
    "Telecommunications": ("Networks", "Telecom", "Connect"),
    "Professional services": ("Consulting", "Advisory", "Partners", "Group"),
    "Education": ("Learning", "EdTech", "Academy"),
    "Media": ("Media", "Studios", "Content"),
    "Other": ("Services", "Solutions", "Group"),
}
PARTNER_TYPE_NOUNS = {
    "isv": ("Software", "Labs", "Analytics", "Platforms"),
    "systems_integrator": ("Integration", "Systems", "Solutions", "IT Services"),
    "consultancy": ("Consulting", "Advisory", "Partners"),
    "reseller": ("IT", "Solutions", "Direct"),
    "distributor": ("Distribution", "Trade", "Supply"),
    "other": ("Group", "Services"),
}

JOB_TITLES = {
    "leadership": ("CEO", "Managing Director", "CTO", "COO", "Founder", "VP Partnerships", "Head of Sales"),
    "technical": ("Solution Architect", "Senior Software Engineer", "Data Engineer", "Cloud Architect",
                  "DevOps Engineer", "Security Consultant", "Integration Specialist", "Data Scientist",
                  "SAP Consultant", "Technical Lead", "QA Engineer", "Site Reliability Engineer"),
    "business": ("Partner Manager", "Account Executive", "Alliance Manager", "Business Development Manager",
                 "Customer Success Manager", "Product Manager", "Marketing Manager", "Project Manager",
                 "Pre-sales Consultant", "Delivery Manager"),
    "support": ("Office Manager", "Operations Analyst", "Finance Manager", "HR Business Partner",
                "Support Engineer"),
}

HEADLINE_TEMPLATES = (
    "{title} at {company}",
    "Helping {industry} teams with {offer}",
    "{title} · {skill} and {skill2}",
    "Building {offer} for {industry} companies",
    "{title} — looking for partners in {need}",
    "{skill} enthusiast, {title} at {company}",
)

BIO_OPENINGS = (
    "I work as **{title}** at {company}, where we focus on {offer}.",
    "At {company} I lead our work on **{offer}**, mostly for {industry} customers.",
    "{years} years in {industry}; these days I am the {title} at {company}.",
    "I joined {company} to make {offer} simpler for our customers.",
)
BIO_MIDDLES = (
    "Before that I spent several years on {skill} projects across {region}.",
    "My day-to-day mixes {skill} with a fair amount of {skill2}.",
    "I like projects where {skill} meets real operational problems.",
    "Most of my time goes into {skill}, with the occasional detour into {interest}.",
)
BIO_ASKS = (
    "Ask me about {offer} or {skill}.",
    "We are looking for partners who know **{need}**: get in touch.",
    "Happy to swap notes on {interest}.",
)

COMPANY_INTROS = {
    "isv": "{name} builds software for {industry_lower} companies, best known for its {offer} products.",
    "systems_integrator": "{name} is a systems integrator that connects {industry_lower} businesses' platforms, "
                          "specialising in {offer}.",
    "consultancy": "{name} is a consultancy advising {industry_lower} organisations on {offer}.",
    "reseller": "{name} resells and implements solutions for {industry_lower} customers, with a strong "
                "{offer} practice.",
    "distributor": "{name} distributes technology to resellers across {region}, including {offer} offerings.",
    "other": "{name} serves {industry_lower} organisations with {offer}.",
}
COMPANY_MIDDLES = (
    "Founded in {year} in {city}, the team of {size} people works with customers across {region}.",
    "Headquartered in {city} since {year}, it has grown to {size} employees.",
    "The company started in {city} in {year} and now employs {size} people.",
)
COMPANY_CLOSINGS = (
    "It is looking for partners with experience in {need}.",
    "It partners with firms that bring {need} to joint projects.",
    "Current priorities include finding help with {need} and {need2}.",
)
