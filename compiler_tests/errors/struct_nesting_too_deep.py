# expect: E039 261:7
from ebpfpy import bpf_program, bpf_function, struct, HashMap, Array, u8, u16, u32, u64, i8, i16, i32, i64, helpers

@struct
class S0:
    x: u32

@struct
class S1:
    x: S0

@struct
class S2:
    x: S1

@struct
class S3:
    x: S2

@struct
class S4:
    x: S3

@struct
class S5:
    x: S4

@struct
class S6:
    x: S5

@struct
class S7:
    x: S6

@struct
class S8:
    x: S7

@struct
class S9:
    x: S8

@struct
class S10:
    x: S9

@struct
class S11:
    x: S10

@struct
class S12:
    x: S11

@struct
class S13:
    x: S12

@struct
class S14:
    x: S13

@struct
class S15:
    x: S14

@struct
class S16:
    x: S15

@struct
class S17:
    x: S16

@struct
class S18:
    x: S17

@struct
class S19:
    x: S18

@struct
class S20:
    x: S19

@struct
class S21:
    x: S20

@struct
class S22:
    x: S21

@struct
class S23:
    x: S22

@struct
class S24:
    x: S23

@struct
class S25:
    x: S24

@struct
class S26:
    x: S25

@struct
class S27:
    x: S26

@struct
class S28:
    x: S27

@struct
class S29:
    x: S28

@struct
class S30:
    x: S29

@struct
class S31:
    x: S30

@struct
class S32:
    x: S31

@struct
class S33:
    x: S32

@struct
class S34:
    x: S33

@struct
class S35:
    x: S34

@struct
class S36:
    x: S35

@struct
class S37:
    x: S36

@struct
class S38:
    x: S37

@struct
class S39:
    x: S38

@struct
class S40:
    x: S39

@struct
class S41:
    x: S40

@struct
class S42:
    x: S41

@struct
class S43:
    x: S42

@struct
class S44:
    x: S43

@struct
class S45:
    x: S44

@struct
class S46:
    x: S45

@struct
class S47:
    x: S46

@struct
class S48:
    x: S47

@struct
class S49:
    x: S48

@struct
class S50:
    x: S49

@struct
class S51:
    x: S50

@struct
class S52:
    x: S51

@struct
class S53:
    x: S52

@struct
class S54:
    x: S53

@struct
class S55:
    x: S54

@struct
class S56:
    x: S55

@struct
class S57:
    x: S56

@struct
class S58:
    x: S57

@struct
class S59:
    x: S58

@struct
class S60:
    x: S59

@struct
class S61:
    x: S60

@struct
class S62:
    x: S61

@struct
class S63:
    x: S62

@struct
class S64:
    x: S63

@struct
class S65:
    x: S64

@struct
class S66:
    x: S65

@struct
class S67:
    x: S66

@struct
class S68:
    x: S67

@struct
class S69:
    x: S68

@struct
class S70:
    x: S69

@struct
class S71:
    x: S70

@struct
class S72:
    x: S71

@struct
class S73:
    x: S72

@struct
class S74:
    x: S73

@struct
class S75:
    x: S74

@struct
class S76:
    x: S75

@struct
class S77:
    x: S76

@struct
class S78:
    x: S77

@struct
class S79:
    x: S78

@struct
class S80:
    x: S79

@struct
class S81:
    x: S80

@struct
class S82:
    x: S81

@struct
class S83:
    x: S82

@struct
class S84:
    x: S83

@struct
class S85:
    x: S84

@struct
class S86:
    x: S85

@struct
class S87:
    x: S86

@struct
class S88:
    x: S87

@struct
class S89:
    x: S88

@struct
class S90:
    x: S89

@struct
class S91:
    x: S90

@struct
class S92:
    x: S91

@struct
class S93:
    x: S92

@struct
class S94:
    x: S93

@struct
class S95:
    x: S94

@struct
class S96:
    x: S95

@struct
class S97:
    x: S96

@struct
class S98:
    x: S97

@struct
class S99:
    x: S98

@struct
class S100:
    x: S99

@struct
class S101:
    x: S100

@struct
class S102:
    x: S101

@struct
class S103:
    x: S102

@struct
class S104:
    x: S103

@struct
class S105:
    x: S104

@struct
class S106:
    x: S105

@struct
class S107:
    x: S106

@struct
class S108:
    x: S107

@struct
class S109:
    x: S108

@struct
class S110:
    x: S109

@struct
class S111:
    x: S110

@struct
class S112:
    x: S111

@struct
class S113:
    x: S112

@struct
class S114:
    x: S113

@struct
class S115:
    x: S114

@struct
class S116:
    x: S115

@struct
class S117:
    x: S116

@struct
class S118:
    x: S117

@struct
class S119:
    x: S118

@struct
class S120:
    x: S119

@struct
class S121:
    x: S120

@struct
class S122:
    x: S121

@struct
class S123:
    x: S122

@struct
class S124:
    x: S123

@struct
class S125:
    x: S124

@struct
class S126:
    x: S125

@struct
class S127:
    x: S126

@struct
class S128:
    x: S127

@struct
class S129:
    x: S128

@struct
class S130:
    x: S129

@struct
class S131:
    x: S130

@struct
class S132:
    x: S131

@struct
class S133:
    x: S132

@struct
class S134:
    x: S133

@struct
class S135:
    x: S134

@struct
class S136:
    x: S135

@struct
class S137:
    x: S136

@struct
class S138:
    x: S137

@struct
class S139:
    x: S138

@struct
class S140:
    x: S139

@struct
class S141:
    x: S140

@struct
class S142:
    x: S141

@struct
class S143:
    x: S142

@struct
class S144:
    x: S143

@struct
class S145:
    x: S144

@struct
class S146:
    x: S145

@struct
class S147:
    x: S146

@struct
class S148:
    x: S147

@struct
class S149:
    x: S148

@struct
class S150:
    x: S149

@struct
class S151:
    x: S150

@struct
class S152:
    x: S151

@struct
class S153:
    x: S152

@struct
class S154:
    x: S153

@struct
class S155:
    x: S154

@struct
class S156:
    x: S155

@struct
class S157:
    x: S156

@struct
class S158:
    x: S157

@struct
class S159:
    x: S158

@struct
class S160:
    x: S159

@struct
class S161:
    x: S160

@struct
class S162:
    x: S161

@struct
class S163:
    x: S162

@struct
class S164:
    x: S163

@struct
class S165:
    x: S164

@struct
class S166:
    x: S165

@struct
class S167:
    x: S166

@struct
class S168:
    x: S167

@struct
class S169:
    x: S168

@struct
class S170:
    x: S169

@struct
class S171:
    x: S170

@struct
class S172:
    x: S171

@struct
class S173:
    x: S172

@struct
class S174:
    x: S173

@struct
class S175:
    x: S174

@struct
class S176:
    x: S175

@struct
class S177:
    x: S176

@struct
class S178:
    x: S177

@struct
class S179:
    x: S178

@struct
class S180:
    x: S179

@struct
class S181:
    x: S180

@struct
class S182:
    x: S181

@struct
class S183:
    x: S182

@struct
class S184:
    x: S183

@struct
class S185:
    x: S184

@struct
class S186:
    x: S185

@struct
class S187:
    x: S186

@struct
class S188:
    x: S187

@struct
class S189:
    x: S188

@struct
class S190:
    x: S189

@struct
class S191:
    x: S190

@struct
class S192:
    x: S191

@struct
class S193:
    x: S192

@struct
class S194:
    x: S193

@struct
class S195:
    x: S194

@struct
class S196:
    x: S195

@struct
class S197:
    x: S196

@struct
class S198:
    x: S197

@struct
class S199:
    x: S198

@bpf_program("syscall")
def main(ctx) -> int:
    s = S199()
    return 0
